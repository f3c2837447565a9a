import { HttpStatus, Injectable } from '@nestjs/common';
import { nextUtcMonth, tokensRemaining, UsageLedger, utcDay, utcMonth } from '@app/usage';
import { UsageDay } from '@app/database';
import { ErrorCode, ProblemException } from '../common/problem';
import { Clock } from '../quota/clock';
import { UsageResponse, toUsageResponse } from '../quota/dto/usage.dto';
import { PromptQuotaService } from '../quota/prompt-quota.service';
import { AccountStanding } from './account-standing';
import {
  MonthlyTokensResponse,
  UsageCountersResponse,
  UsageDayResponse,
  UsageReportQuery,
  UsageReportResponse,
} from './dto/usage-report.dto';

/** The longest range GET /usage reports: a year, leap day included. */
export const MAX_REPORT_DAYS = 366;
const DAY_MS = 86_400_000;

@Injectable()
export class UsageService {
  constructor(
    private readonly ledger: UsageLedger,
    private readonly standings: AccountStanding,
    private readonly quota: PromptQuotaService,
    private readonly clock: Clock,
  ) {}

  /** Today's prompts and this month's tokens, against the limits that apply to the user now. */
  async summary(userId: string): Promise<{ usage: UsageResponse; tokens: MonthlyTokensResponse }> {
    const now = this.clock.now();
    const standing = await this.standings.of(userId, utcMonth(now));
    if (!standing) {
      throw new ProblemException(HttpStatus.UNAUTHORIZED, ErrorCode.Unauthorized, 'Account no longer exists');
    }
    const { monthlyTokens } = standing.limits;
    const usage = await this.quota.usage(userId, standing.limits.dailyPrompts);
    return {
      usage: toUsageResponse(usage),
      tokens: {
        used: standing.month.usedTokens,
        reserved: standing.month.reservedTokens,
        limit: monthlyTokens === 0 ? null : monthlyTokens,
        remaining: tokensRemaining(monthlyTokens, standing.month) ?? null,
        resetsAt: nextUtcMonth(now).toISOString(),
      },
    };
  }

  /** Every day of the range with its counters (zeros where nothing happened), and their sums. */
  async report(userId: string, query: UsageReportQuery): Promise<UsageReportResponse> {
    const now = this.clock.now();
    const from = query.from ?? utcMonth(now);
    const to = query.to ?? utcDay(now);
    const days = daysBetween(from, to);
    const stored = new Map((await this.ledger.days(userId, from, to)).map((row) => [row.day, row]));
    const rows = days.map((day) => ({ day, ...counters(stored.get(day)) }));
    return { from, to, days: rows, totals: sum(rows) };
  }
}

/** The days from `from` to `to` inclusive, checked: real dates, in order, at most a year apart. */
function daysBetween(from: string, to: string): string[] {
  const start = parseDay(from, 'from');
  const end = parseDay(to, 'to');
  if (end < start) throw invalidRange('to', 'to must not be before from');
  const count = Math.round((end - start) / DAY_MS) + 1;
  if (count > MAX_REPORT_DAYS) throw invalidRange('to', `the range may span at most ${MAX_REPORT_DAYS} days`);
  return Array.from({ length: count }, (_, index) => utcDay(new Date(start + index * DAY_MS)));
}

function parseDay(value: string, field: string): number {
  const time = Date.parse(`${value}T00:00:00Z`);
  const year = Number(value.slice(0, 4));
  if (Number.isNaN(time) || utcDay(new Date(time)) !== value || year < 2000 || year > 9999) {
    throw invalidRange(field, `${field} must be a real date between 2000-01-01 and 9999-12-31`);
  }
  return time;
}

function invalidRange(field: string, message: string): ProblemException {
  return new ProblemException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, message, {
    errors: [{ field, message }],
  });
}

function counters(day: UsageDay | undefined): UsageCountersResponse {
  const promptTokens = day?.promptTokens ?? 0;
  const outputTokens = day?.outputTokens ?? 0;
  const thinkingTokens = day?.thinkingTokens ?? 0;
  return {
    prompts: day?.prompts ?? 0,
    repliesCompleted: day?.repliesCompleted ?? 0,
    repliesFailed: day?.repliesFailed ?? 0,
    repliesCancelled: day?.repliesCancelled ?? 0,
    promptTokens,
    outputTokens,
    thinkingTokens,
    totalTokens: promptTokens + outputTokens + thinkingTokens,
    systemTokens: day?.systemTokens ?? 0,
  };
}

function sum(rows: UsageDayResponse[]): UsageCountersResponse {
  const totals = counters(undefined);
  for (const row of rows) {
    for (const key of Object.keys(totals) as (keyof UsageCountersResponse)[]) totals[key] += row[key];
  }
  return totals;
}
