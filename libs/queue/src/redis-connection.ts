import Redis, { Cluster, RedisOptions } from 'ioredis';

/**
 * The api fails fast when Redis is down: commands sent during the first connect at boot are queued, but once the
 * connection has been ready, a command sent while it is down is refused at once (see `failFastOnceReady`), so
 * requests answer 503 in milliseconds rather than waiting for reconnection attempts. The worker waits forever
 * (`maxRetriesPerRequest: null`, as BullMQ requires for blocking commands).
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

/**
 * Turns the offline queue off after the first `ready`. With it on, a command sent during an outage waits for
 * `maxRetriesPerRequest` reconnection attempts (up to two seconds), and a request making several calls in a row
 * waited that long for each before answering 503.
 */
export function failFastOnceReady(redis: Redis | Cluster): void {
  redis.once('ready', () => {
    redis.options.enableOfflineQueue = false;
  });
}

/**
 * `onError` receives connection errors; without a listener ioredis reports each reconnect attempt as unhandled.
 * `autoPipelining` sends the commands issued within one turn of the event loop together: under load, the reads of
 * many requests then cost one socket write and one read instead of one each.
 */
export function createRedis(
  url: string,
  role: 'api' | 'worker',
  name: string,
  onError: (error: Error) => void,
  options: { autoPipelining?: boolean } = {},
): Redis {
  const redis = new Redis(url, {
    ...redisOptions(role),
    connectionName: name,
    enableAutoPipelining: options.autoPipelining ?? false,
  });
  redis.on('error', onError);
  if (role === 'api') failFastOnceReady(redis);
  return redis;
}
