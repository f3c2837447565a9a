import { AppConfig } from '@app/config';
import { Tier, User } from '@app/database';
import {
  effectiveLimits,
  EffectiveLimits,
  LimitOverrides,
  MonthAccount,
  nextUtcMonth,
  tokensRemaining,
  TopUser,
  UsageLedger,
  utcDay,
  utcMonth,
} from '@app/usage';
import { UsageDay } from '@app/database';
import { DataSource } from 'typeorm';
import { normaliseMobile } from '../auth/mobile';

/** An operator's mistake (unknown user, malformed number): reported as a message, exit code 1. */
export class AdminError extends Error {}

export interface UserUsage {
  user: { id: string; mobile: string; tier: Tier };
  limits: EffectiveLimits;
  month: string;
  tokens: MonthAccount & { limit: number | null; remaining: number | null; resetsAt: string };
  days: UsageDay[];
}

/** What `npm run admin` does, on the same database and configuration as the apps. */
export class UsageAdmin {
  private readonly ledger: UsageLedger;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    this.ledger = new UsageLedger(dataSource);
  }

  /** A user's limits and usage in `month` (`YYYY-MM`; default: this month), day by day. */
  async usage(mobile: string, month?: string, now = new Date()): Promise<UserUsage> {
    const user = await this.userOf(mobile);
    const first = month ? monthStart(month) : utcMonth(now);
    const limits = effectiveLimits(this.config.limits, user.tier, await this.ledger.overrides(user.id));
    const account = await this.ledger.month(user.id, first);
    const next = nextUtcMonth(new Date(`${first}T00:00:00Z`));
    const last = utcDay(new Date(next.getTime() - 86_400_000));
    return {
      user: { id: user.id, mobile: user.mobile, tier: user.tier },
      limits,
      month: first.slice(0, 7),
      tokens: {
        ...account,
        limit: limits.monthlyTokens === 0 ? null : limits.monthlyTokens,
        remaining: tokensRemaining(limits.monthlyTokens, account) ?? null,
        resetsAt: next.toISOString(),
      },
      days: await this.ledger.days(user.id, first, last),
    };
  }

  /** Sets or clears (null) a user's overrides; every api instance applies them from the user's next request. */
  async setLimits(mobile: string, changes: Partial<LimitOverrides>): Promise<UserUsage['limits']> {
    const user = await this.userOf(mobile);
    const overrides = await this.ledger.setOverrides(user.id, changes);
    return effectiveLimits(this.config.limits, user.tier, overrides);
  }

  top(month: string | undefined, limit: number, now = new Date()): Promise<TopUser[]> {
    return this.ledger.top(month ? monthStart(month) : utcMonth(now), limit);
  }

  private async userOf(mobile: string): Promise<User> {
    const number = normaliseMobile(mobile);
    if (!number)
      throw new AdminError(`"${mobile}" is not a valid mobile number with its country code (+14155550123)`);
    const user = await this.dataSource.getRepository(User).findOneBy({ mobile: number });
    if (!user) throw new AdminError(`No user has the number ${number}`);
    return user;
  }
}

function monthStart(month: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
    throw new AdminError(`"${month}" is not a month such as 2026-12`);
  return `${month}-01`;
}
