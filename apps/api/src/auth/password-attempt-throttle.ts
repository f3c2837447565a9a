import { APP_CONFIG, AppConfig } from '@app/config';
import { REDIS, RedisKeys } from '@app/queue';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { ErrorCode, ProblemException } from '../common/problem';

/** How long a run of wrong passwords is remembered after the last one. */
const FAILURE_MEMORY_SECONDS = 86_400;

/**
 * Refuses while the account's delay runs; otherwise counts the attempt before the password is even checked (so
 * concurrent guesses cannot all slip in before the first failure is counted) and, past the free attempts, starts
 * the next delay: 1, 2, 4… seconds up to the cap. Returns the seconds left to wait, 0 when the attempt may proceed.
 */
const TAKE_ATTEMPT = `
local wait = redis.call('TTL', KEYS[2])
if wait > 0 then return wait end
local attempts = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local beyond = attempts - tonumber(ARGV[1])
if beyond > 0 then
  redis.call('SET', KEYS[2], '1', 'EX', math.min(2 ^ math.min(beyond - 1, 30), tonumber(ARGV[2])))
end
return 0
`;

/**
 * Per-account password guessing limit, keyed by the normalised number and independent of the caller's address, so
 * spreading guesses over many addresses gains nothing. It guards /auth/login only: OTP login never waits on it, so
 * an attacker cannot lock the owner out.
 */
@Injectable()
export class PasswordAttemptThrottle {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async takeAttempt(mobile: string): Promise<void> {
    const { passwordFailuresBeforeDelay, passwordMaxDelaySeconds } = this.config.auth;
    const wait = (await this.redis.eval(
      TAKE_ATTEMPT,
      2,
      this.keys.passwordFailures(mobile),
      this.keys.passwordDelay(mobile),
      passwordFailuresBeforeDelay,
      passwordMaxDelaySeconds,
      FAILURE_MEMORY_SECONDS,
    )) as number;
    if (wait > 0) {
      throw new ProblemException(
        HttpStatus.TOO_MANY_REQUESTS,
        ErrorCode.TooManyPasswordAttempts,
        `Too many wrong passwords for this number; try again in ${wait} seconds, or log in with a code (/auth/send-otp)`,
        { headers: { 'Retry-After': String(wait) } },
      );
    }
  }

  /** A right password ends the run of failures. */
  async succeeded(mobile: string): Promise<void> {
    await this.redis.del(this.keys.passwordFailures(mobile), this.keys.passwordDelay(mobile));
  }
}
