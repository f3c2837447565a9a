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

/** `onError` receives connection errors; without a listener ioredis reports each reconnect attempt as unhandled. */
export function createRedis(
  url: string,
  role: 'api' | 'worker',
  name: string,
  onError: (error: Error) => void,
): Redis {
  const redis = new Redis(url, { ...redisOptions(role), connectionName: name });
  redis.on('error', onError);
  return redis;
}
