import { APP_CONFIG, AppConfig } from '@app/config';
import { Tier } from '@app/database';
import { ChatroomGenerationSettings } from '@app/gemini';
import { EffectiveLimits, effectiveLimits, MonthAccount } from '@app/usage';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Where a user stands: tier, the limits that apply (overrides included) and the month's token account. */
export interface Standing {
  tier: Tier;
  limits: EffectiveLimits;
  month: MonthAccount & { exists: boolean };
}

interface StandingRow {
  tier: Tier;
  daily_prompts: number | null;
  monthly_tokens: string | null;
  used_tokens: string | null;
  reserved_tokens: string | null;
  room_id: string | null;
  system_instruction: string | null;
  model: string | null;
  temperature: number | null;
  max_output_tokens: number | null;
}

/**
 * Reads a user's standing in one query, from PostgreSQL on every request, so a tier change or an operator's
 * override applies at once on every api instance. Asked about a chatroom, it also checks the chatroom is the
 * user's and returns its generation settings.
 */
@Injectable()
export class AccountStanding {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Undefined when the user no longer exists. */
  async of(userId: string, month: string): Promise<Standing | undefined> {
    const row = await this.read(userId, month, null);
    return row && this.standing(row);
  }

  /** Undefined when the chatroom is not the user's. */
  async inChatroom(
    userId: string,
    month: string,
    chatroomId: string,
  ): Promise<(Standing & { chatroom: ChatroomGenerationSettings }) | undefined> {
    const row = await this.read(userId, month, chatroomId);
    if (!row?.room_id) return undefined;
    return {
      ...this.standing(row),
      chatroom: {
        systemInstruction: row.system_instruction,
        model: row.model,
        temperature: row.temperature,
        maxOutputTokens: row.max_output_tokens,
      },
    };
  }

  private async read(
    userId: string,
    month: string,
    chatroomId: string | null,
  ): Promise<StandingRow | undefined> {
    const [row] = await this.dataSource.query<StandingRow[]>(
      `SELECT users.tier, overrides.daily_prompts, overrides.monthly_tokens, account.used_tokens,
              account.reserved_tokens, room.id AS room_id, room.system_instruction, room.model, room.temperature,
              room.max_output_tokens
       FROM users
       LEFT JOIN user_limits AS overrides ON overrides.user_id = users.id
       LEFT JOIN usage_months AS account ON account.user_id = users.id AND account.month = $2
       LEFT JOIN chatrooms AS room ON room.id = $3 AND room.user_id = users.id
       WHERE users.id = $1`,
      [userId, month, chatroomId],
    );
    return row;
  }

  private standing(row: StandingRow): Standing {
    const overrides = {
      dailyPrompts: row.daily_prompts,
      monthlyTokens: row.monthly_tokens === null ? null : Number(row.monthly_tokens),
    };
    return {
      tier: row.tier,
      limits: effectiveLimits(this.config.limits, row.tier, overrides),
      month: {
        exists: row.used_tokens !== null,
        usedTokens: Number(row.used_tokens ?? 0),
        reservedTokens: Number(row.reserved_tokens ?? 0),
      },
    };
  }
}
