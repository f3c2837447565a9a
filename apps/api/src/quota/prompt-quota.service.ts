import { APP_CONFIG, AppConfig } from '@app/config';
import { Tier, User } from '@app/database';
import { REDIS, RedisKeys } from '@app/queue';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { Repository } from 'typeorm';
import { ErrorCode, ProblemException } from '../common/problem';
import { Clock } from './clock';

export interface QuotaUsage {
  used: number;
  limit: number;
  remaining: number;
  resetsAt: Date;
}

export interface QuotaReservation extends QuotaUsage {
  /** The UTC day the prompt was counted on; pass it back to `release`. */
  day: string;
}

/** Counts only below the limit, so the counter never passes it however many requests race. */
const RESERVE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return {0, used} end
used = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {1, used}
`;

const RELEASE = `
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end
return 0
`;

/** Kept a day past its UTC day so a late release still finds its counter. */
const KEY_TTL_SECONDS = 2 * 86_400;

/**
 * Daily prompt quota per user, per UTC calendar day (resets at 00:00 UTC), shared by every api instance through
 * Redis. Called by the messages service after validation, ownership and idempotency checks rather than by a guard:
 * Nest runs guards before pipes, so a guard would charge requests that are then rejected.
 */
@Injectable()
export class PromptQuotaService {
  private readonly logger = new Logger(PromptQuotaService.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `tier`, when the caller has just read it, saves a query. */
  async reserve(userId: string, tier?: Tier): Promise<QuotaReservation> {
    const limit = this.limitOf(tier ?? (await this.tierOf(userId)));
    const now = this.clock.now();
    const day = utcDay(now);
    const resetsAt = nextUtcMidnight(now);
    const [accepted, used] = await this.run<[number, number]>(
      () =>
        this.redis.eval(RESERVE, 1, this.keys.dailyPrompts(userId, day), limit, KEY_TTL_SECONDS) as Promise<
          [number, number]
        >,
    );
    if (accepted !== 1) {
      const retryAfter = Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000));
      throw new ProblemException(
        HttpStatus.TOO_MANY_REQUESTS,
        ErrorCode.DailyQuotaExceeded,
        `Daily limit of ${limit} prompts reached; it resets at ${resetsAt.toISOString()} (00:00 UTC). Upgrade to Pro for more.`,
        {
          headers: { 'Retry-After': String(retryAfter), ...quotaHeaders({ limit, remaining: 0, resetsAt }) },
        },
      );
    }
    return { used, limit, remaining: Math.max(0, limit - used), resetsAt, day };
  }

  /** Gives back one prompt, for a request that was counted but then not accepted. */
  async release(userId: string, day: string): Promise<void> {
    try {
      await this.redis.eval(RELEASE, 1, this.keys.dailyPrompts(userId, day));
    } catch (error) {
      this.logger.warn({ err: error, userId }, 'Could not give back a prompt to the daily quota');
    }
  }

  async usage(userId: string): Promise<QuotaUsage> {
    const limit = this.limitOf(await this.tierOf(userId));
    const now = this.clock.now();
    const raw = await this.run(() => this.redis.get(this.keys.dailyPrompts(userId, utcDay(now))));
    const used = Math.min(Number(raw ?? 0), limit);
    return { used, limit, remaining: Math.max(0, limit - used), resetsAt: nextUtcMidnight(now) };
  }

  /** The tier comes from PostgreSQL on every check, so an upgrade or downgrade applies to the very next prompt. */
  private async tierOf(userId: string): Promise<Tier | undefined> {
    const user = await this.users.findOne({ select: { id: true, tier: true }, where: { id: userId } });
    return user?.tier;
  }

  private limitOf(tier: Tier | undefined): number {
    return tier === Tier.Pro ? this.config.limits.proDailyLimit : this.config.limits.basicDailyLimit;
  }

  /** Fails closed: without the counter no prompt is accepted, so Gemini is never called unmetered. */
  private async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.logger.error({ err: error }, 'Quota store unavailable');
      throw new ProblemException(
        HttpStatus.SERVICE_UNAVAILABLE,
        ErrorCode.ServiceUnavailable,
        'The quota service is temporarily unavailable; retry shortly',
        { headers: { 'Retry-After': '5' } },
      );
    }
  }
}

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function nextUtcMidnight(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1));
}

export function quotaHeaders(quota: {
  limit: number;
  remaining: number;
  resetsAt: Date;
}): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(quota.limit),
    'X-RateLimit-Remaining': String(quota.remaining),
    'X-RateLimit-Reset': String(Math.floor(quota.resetsAt.getTime() / 1000)),
  };
}
