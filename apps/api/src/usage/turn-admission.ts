import { ChatroomGenerationSettings, ModelPolicy } from '@app/gemini';
import { TurnUsage } from '@app/replies';
import { UsageLedger, utcDay, utcMonth } from '@app/usage';
import { HttpStatus, Injectable } from '@nestjs/common';
import { ErrorCode, ProblemException } from '../common/problem';
import { Clock } from '../quota/clock';
import { PromptQuotaService, QuotaReservation } from '../quota/prompt-quota.service';
import { AccountStanding, Standing } from './account-standing';
import { assertBudgetNotSpent, budgetExceeded, tokenBudgetHeaders } from './token-budget';

/** A user about to add a turn to one of their chatrooms, as they stood when the request came in. */
export interface TurnApplicant {
  userId: string;
  now: Date;
  standing: Standing & { chatroom: ChatroomGenerationSettings };
}

/** What adding a turn was charged: a unit of daily quota, and how the turn counts against the token budget. */
export interface TurnCharge {
  quota: QuotaReservation;
  usage: TurnUsage;
}

/**
 * Whether a user may add a turn (a prompt, an edit, a regeneration), and what it costs them: the chatroom must be
 * theirs, the month's token budget not spent, and a unit of daily quota free. The budget's reservation itself is
 * taken by the statement that stores the turn, which may still find nothing left (`refusal`).
 */
@Injectable()
export class TurnAdmission {
  constructor(
    private readonly standings: AccountStanding,
    private readonly ledger: UsageLedger,
    private readonly models: ModelPolicy,
    private readonly quota: PromptQuotaService,
    private readonly clock: Clock,
  ) {}

  /** 404 when the chatroom is not the user's. */
  async applicant(userId: string, chatroomId: string): Promise<TurnApplicant> {
    const now = this.clock.now();
    const standing = await this.standings.inChatroom(userId, utcMonth(now), chatroomId);
    if (!standing) throw chatroomNotFound(chatroomId);
    return { userId, now, standing };
  }

  /** Refuses a spent budget (429) before anything is charged, then takes a unit of daily quota (429 without one). */
  async charge({ userId, now, standing }: TurnApplicant): Promise<TurnCharge> {
    const { monthlyTokens, dailyPrompts } = standing.limits;
    const month = utcMonth(now);
    assertBudgetNotSpent(monthlyTokens, standing.month, now);
    if (monthlyTokens > 0 && !standing.month.exists) await this.ledger.openMonth(userId, month);
    const quota = await this.quota.reserve(userId, dailyPrompts);
    return {
      quota,
      usage: {
        day: utcDay(now),
        month,
        monthlyLimit: monthlyTokens,
        outputCap: this.models.resolve(standing.tier, standing.chatroom).settings.maxOutputTokens,
      },
    };
  }

  /** Gives the daily quota back, for a turn that was charged but not stored. */
  refund(userId: string, charge: TurnCharge): Promise<void> {
    return this.quota.release(userId, charge.quota.day);
  }

  /** Why a charged turn was not stored, when it was the budget: nothing left to reserve. */
  async refusal(applicant: TurnApplicant, charge: TurnCharge): Promise<ProblemException | undefined> {
    const { monthlyLimit, month } = charge.usage;
    if (monthlyLimit === 0) return undefined;
    const account = await this.ledger.month(applicant.userId, month);
    return account.usedTokens + account.reservedTokens >= monthlyLimit
      ? budgetExceeded(monthlyLimit, account, applicant.now)
      : undefined;
  }

  /** The X-TokenBudget-* headers of an accepted turn whose reply reserved `reservedTokens`. */
  budgetHeaders(applicant: TurnApplicant, reservedTokens: number | null): Record<string, string> {
    const { standing, now } = applicant;
    return tokenBudgetHeaders(
      standing.limits.monthlyTokens,
      { ...standing.month, reservedTokens: standing.month.reservedTokens + (reservedTokens ?? 0) },
      now,
    );
  }
}

export const chatroomNotFound = (chatroomId: string): ProblemException =>
  new ProblemException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `Chatroom ${chatroomId} not found`);
