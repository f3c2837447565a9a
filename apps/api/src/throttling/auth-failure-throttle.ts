import { APP_CONFIG, AppConfig } from '@app/config';
import { AuthFailureCounter } from '@app/observability';
import { REDIS, RedisKeys } from '@app/queue';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { ErrorCode, ProblemException } from '../common/problem';

/**
 * Failed authentication is not free: each wrong bearer token, metrics token or dashboard password counts against
 * the client's address (as TRUST_PROXY resolves it), and an address past AUTH_FAILURE_LIMIT_PER_MINUTE is refused
 * with 429 until its minute is over, whatever it presents.
 */
@Injectable()
export class AuthFailureThrottle {
  private readonly logger = new Logger(AuthFailureThrottle.name);
  private readonly counter: AuthFailureCounter;

  constructor(@Inject(REDIS) redis: Redis, keys: RedisKeys, @Inject(APP_CONFIG) config: AppConfig) {
    this.counter = new AuthFailureCounter(redis, keys, config.auth.failureLimitPerMinute, (error) =>
      this.logger.warn(`Failed-auth limit skipped, Redis failed: ${error.message}`),
    );
  }

  blockedFor(ip: string): Promise<number> {
    return this.counter.blockedFor(ip);
  }

  async assertNotBlocked(ip: string): Promise<void> {
    const retryAfter = await this.counter.blockedFor(ip);
    if (retryAfter > 0) throw tooManyAuthFailures(retryAfter);
  }

  record(ip: string): Promise<void> {
    return this.counter.record(ip);
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
