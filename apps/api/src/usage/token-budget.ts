import { HttpStatus } from '@nestjs/common';
import { MonthAccount, nextUtcMonth, secondsUntil, tokensRemaining } from '@app/usage';
import { ErrorCode, ProblemException } from '../common/problem';

/** How long a client waits when the month's budget is not spent but reserved by replies still being generated. */
const COMMITTED_RETRY_SECONDS = 5;

/** What a prompt's response says of the token budget; nothing when the budget is unlimited. */
export function tokenBudgetHeaders(limit: number, account: MonthAccount, now: Date): Record<string, string> {
  const remaining = tokensRemaining(limit, account);
  if (remaining === undefined) return {};
  return {
    'X-TokenBudget-Limit': String(limit),
    'X-TokenBudget-Remaining': String(remaining),
    'X-TokenBudget-Reset': String(Math.floor(nextUtcMonth(now).getTime() / 1000)),
  };
}

/** Refuses a prompt before anything is charged when the month's budget is spent. */
export function assertBudgetNotSpent(limit: number, account: MonthAccount, now: Date): void {
  if (limit > 0 && account.usedTokens >= limit) throw budgetExceeded(limit, account, now);
}

/**
 * 429 TOKEN_BUDGET_EXCEEDED: until the next month when the budget is spent; for a few seconds when what is left is
 * reserved by replies still being generated (each gives back what it did not use when it ends).
 */
export function budgetExceeded(limit: number, account: MonthAccount, now: Date): ProblemException {
  const resetsAt = nextUtcMonth(now);
  const spent = account.usedTokens >= limit;
  const retryAfter = spent ? secondsUntil(resetsAt, now) : COMMITTED_RETRY_SECONDS;
  return new ProblemException(
    HttpStatus.TOO_MANY_REQUESTS,
    ErrorCode.TokenBudgetExceeded,
    spent
      ? `Monthly token budget of ${limit} spent (${account.usedTokens} used); it resets at ${resetsAt.toISOString()} (the 1st, 00:00 UTC). Upgrade to Pro for more.`
      : `What is left of your monthly token budget of ${limit} is reserved by replies still being generated; retry in ${retryAfter} seconds`,
    {
      headers: {
        'Retry-After': String(retryAfter),
        ...tokenBudgetHeaders(limit, account, now),
      },
    },
  );
}
