import Redis, { RedisOptions } from 'ioredis';

/**
 * The api fails fast when Redis is down (no offline queue, one retry per command) so requests answer 503 quickly;
 * the worker waits forever (`maxRetriesPerRequest: null`, as BullMQ requires for blocking commands).
 */
export function redisOptions(role: 'api' | 'worker'): RedisOptions {
  return role === 'api'
    ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 2000 }
    : { maxRetriesPerRequest: null, enableOfflineQueue: true };
}

export function createRedis(url: string, role: 'api' | 'worker', name: string): Redis {
  const redis = new Redis(url, { ...redisOptions(role), connectionName: name, lazyConnect: false });
  // Without a listener ioredis prints every reconnect error as an unhandled 'error' event.
  redis.on('error', () => undefined);
  return redis;
}
