import Redis, { RedisOptions } from 'ioredis';

/**
 * The api fails fast when Redis is down: a command waits for at most one reconnection attempt (a few hundred ms)
 * and two seconds overall, so requests answer 503 quickly, while commands sent during the first connect at boot
 * are queued rather than refused. The worker waits forever (`maxRetriesPerRequest: null`, as BullMQ requires for
 * blocking commands).
 */
export function redisOptions(role: 'api' | 'worker'): RedisOptions {
  return role === 'api'
    ? {
        enableOfflineQueue: true,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        commandTimeout: 2000,
        retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
      }
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
