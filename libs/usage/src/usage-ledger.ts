import { TierName } from '@app/config';
import { UsageDay, UsageMonth, UserLimits } from '@app/database';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Between, DataSource } from 'typeorm';
import { LimitOverrides } from './usage-limits';

export interface MonthAccount {
  usedTokens: number;
  reservedTokens: number;
}

export interface TopUser {
  userId: string;
  mobile: string;
  tier: TierName;
  usedTokens: number;
  reservedTokens: number;
}

/**
 * Reads the usage ledger and keeps the operators' limit overrides. The ledger itself is written by the reply
 * engine, in the statements that accept prompts and store replies' final states (see ReplyRepository).
 */
@Injectable()
export class UsageLedger {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The days between `from` and `to` (inclusive, `YYYY-MM-DD`) on which the user used anything, oldest first. */
  days(userId: string, from: string, to: string): Promise<UsageDay[]> {
    return this.dataSource
      .getRepository(UsageDay)
      .find({ where: { userId, day: Between(from, to) }, order: { day: 'ASC' } });
  }

  /** Creates the user's account for the month if it has none, so a turn can reserve from its budget under a lock. */
  async openMonth(userId: string, month: string): Promise<void> {
    await this.dataSource.query(
      'INSERT INTO usage_months (user_id, month) VALUES ($1, $2) ON CONFLICT (user_id, month) DO NOTHING',
      [userId, month],
    );
  }

  async month(userId: string, month: string): Promise<MonthAccount> {
    const account = await this.dataSource.getRepository(UsageMonth).findOneBy({ userId, month });
    return { usedTokens: account?.usedTokens ?? 0, reservedTokens: account?.reservedTokens ?? 0 };
  }

  /** The month's users with the most tokens used, most first. */
  top(month: string, limit: number): Promise<TopUser[]> {
    return this.dataSource.query<TopUser[]>(
      `SELECT account.user_id AS "userId", users.mobile, users.tier, account.used_tokens::float8 AS "usedTokens",
              account.reserved_tokens::float8 AS "reservedTokens"
       FROM usage_months AS account JOIN users ON users.id = account.user_id
       WHERE account.month = $1
       ORDER BY account.used_tokens DESC, users.mobile
       LIMIT $2`,
      [month, limit],
    );
  }

  async overrides(userId: string): Promise<LimitOverrides | null> {
    const row = await this.dataSource.getRepository(UserLimits).findOneBy({ userId });
    return row && { dailyPrompts: row.dailyPrompts, monthlyTokens: row.monthlyTokens };
  }

  /** Sets the given overrides (others unchanged); null clears one. Takes effect at the user's next request. */
  async setOverrides(userId: string, changes: Partial<LimitOverrides>): Promise<LimitOverrides> {
    const current = (await this.overrides(userId)) ?? { dailyPrompts: null, monthlyTokens: null };
    const next = { ...current, ...changes };
    if (next.dailyPrompts === null && next.monthlyTokens === null) {
      await this.dataSource.getRepository(UserLimits).delete({ userId });
    } else {
      await this.dataSource.getRepository(UserLimits).upsert({ userId, ...next }, ['userId']);
    }
    return next;
  }
}
