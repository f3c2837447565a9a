import { RedisKeys } from '@app/queue';
import type Redis from 'ioredis';

const WINDOW_SECONDS = 60;

const COUNT_FAILURE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
`;

/**
 * Failed authentications per client address and minute, in Redis so every instance shares them. It fails open
 * (`onRedisError` is told): with Redis down the credentials themselves are still checked, and reads that
 * PostgreSQL can serve keep working.
 */
export class AuthFailureCounter {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly limitPerMinute: number,
    private readonly onRedisError: (error: Error) => void,
  ) {}

  /** Seconds until the address may authenticate again; 0 when it may now. */
  async blockedFor(ip: string): Promise<number> {
    const key = this.keys.authFailures(ip);
    try {
      const count = Number((await this.redis.get(key)) ?? 0);
      if (count < this.limitPerMinute) return 0;
      return Math.max(1, await this.redis.ttl(key));
    } catch (error) {
      this.onRedisError(error as Error);
      return 0;
    }
  }

  async record(ip: string): Promise<void> {
    try {
      await this.redis.eval(COUNT_FAILURE, 1, this.keys.authFailures(ip), WINDOW_SECONDS);
    } catch (error) {
      this.onRedisError(error as Error);
    }
  }
}
