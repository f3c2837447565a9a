import { APP_CONFIG, AppConfig } from '@app/config';
import { OtpPurpose } from '@app/database';
import { REDIS, RedisKeys } from '@app/queue';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { ErrorCode, ProblemException } from '../common/problem';

const HOUR_SECONDS = 3600;

/**
 * Checks every limit and, only when all pass, counts the request: one script, so concurrent requests cannot slip
 * past a limit together. Returns 0 when allowed, else the seconds until the blocking limit frees up.
 */
const CHECK_AND_COUNT = `
local cooldown = redis.call('TTL', KEYS[1])
if cooldown > 0 then return cooldown end
for i = 2, 3 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl > 0 then return ttl end
    return tonumber(ARGV[4])
  end
end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
for i = 2, 3 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[4]) end
end
return 0
`;

/** Per number: one code per cooldown and a cap per hour; per IP: a cap per hour across all numbers. */
@Injectable()
export class OtpRateLimiter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async consume(mobile: string, purpose: OtpPurpose, ip: string): Promise<void> {
    const { otpResendCooldownSeconds, otpHourlyLimit, otpIpHourlyLimit } = this.config.auth;
    const retryAfter = (await this.redis.eval(
      CHECK_AND_COUNT,
      3,
      this.keys.otpCooldown('mobile', `${purpose}:${mobile}`),
      this.keys.otpHourly('mobile', mobile),
      this.keys.otpHourly('ip', ip),
      otpResendCooldownSeconds,
      otpHourlyLimit,
      otpIpHourlyLimit,
      HOUR_SECONDS,
    )) as number;
    if (retryAfter > 0) {
      throw new ProblemException(
        HttpStatus.TOO_MANY_REQUESTS,
        ErrorCode.OtpRateLimited,
        `Too many codes requested; try again in ${retryAfter} seconds`,
        { headers: { 'Retry-After': String(retryAfter) } },
      );
    }
  }
}
