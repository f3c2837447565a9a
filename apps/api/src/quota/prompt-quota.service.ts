import { REDIS, RedisKeys } from '@app/queue';
import { nextUtcMidnight, secondsUntil, utcDay } from '@app/usage';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
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
 * Nest runs guards before pipes, so a guard would charge requests that are then rejected. The limit (the tier's, or
 * an operator's override) is the caller's, read from PostgreSQL with the request, so a change applies at once.
 */
@Injectable()
export class PromptQuotaService {
  private readonly logger = new Logger(PromptQuotaService.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
  ) {}

  async reserve(userId: string, limit: number): Promise<QuotaReservation> {
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
      const retryAfter = secondsUntil(resetsAt, now);
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

  async usage(userId: string, limit: number): Promise<QuotaUsage> {
    const now = this.clock.now();
    const raw = await this.run(() => this.redis.get(this.keys.dailyPrompts(userId, utcDay(now))));
    const used = Math.min(Number(raw ?? 0), limit);
    return { used, limit, remaining: Math.max(0, limit - used), resetsAt: nextUtcMidnight(now) };
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
