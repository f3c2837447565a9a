import { APP_CONFIG, AppConfig } from '@app/config';
import { REDIS, RedisKeys } from '@app/queue';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { ErrorCode, ProblemException } from '../common/problem';

const WINDOW_SECONDS = 60;

const COUNT_FAILURE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
`;

/**
 * Failed authentication is not free: each wrong bearer token, metrics token or dashboard password counts against
 * the client's address (as TRUST_PROXY resolves it), and an address past AUTH_FAILURE_LIMIT_PER_MINUTE is refused
 * with 429 until its minute is over, whatever it presents. It fails open: with Redis down, authenticated reads that
 * PostgreSQL can serve keep working, and the credentials themselves are still checked.
 */
@Injectable()
export class AuthFailureThrottle {
  private readonly logger = new Logger(AuthFailureThrottle.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Seconds until the address may authenticate again; 0 when it may now. */
  async blockedFor(ip: string): Promise<number> {
    const key = this.keys.authFailures(ip);
    try {
      const count = Number((await this.redis.get(key)) ?? 0);
      if (count < this.config.auth.failureLimitPerMinute) return 0;
      return Math.max(1, await this.redis.ttl(key));
    } catch (error) {
      this.logger.warn(`Failed-auth limit not checked, Redis failed: ${(error as Error).message}`);
      return 0;
    }
  }

  async assertNotBlocked(ip: string): Promise<void> {
    const retryAfter = await this.blockedFor(ip);
    if (retryAfter > 0) throw tooManyAuthFailures(retryAfter);
  }

  async record(ip: string): Promise<void> {
    try {
      await this.redis.eval(COUNT_FAILURE, 1, this.keys.authFailures(ip), WINDOW_SECONDS);
    } catch (error) {
      this.logger.warn(`Failed authentication not counted, Redis failed: ${(error as Error).message}`);
    }
  }
}

export function tooManyAuthFailures(retryAfter: number): ProblemException {
  return new ProblemException(
    HttpStatus.TOO_MANY_REQUESTS,
    ErrorCode.TooManyAuthFailures,
    `Too many failed authentications from this address; try again in ${retryAfter} seconds`,
    { headers: { 'Retry-After': String(retryAfter) } },
  );
}
