import { APP_CONFIG, AppConfig } from '@app/config';
import { createRedis, RedisKeys } from '@app/queue';
import { Inject, Injectable, Logger, OnApplicationShutdown, Provider } from '@nestjs/common';
import Redis from 'ioredis';

/** The worker's command connection (reply streams, locks, reconciler); BullMQ and pub/sub use their own. */
export const WORKER_REDIS = Symbol('WORKER_REDIS');

export const redisProviders: Provider[] = [
  {
    provide: WORKER_REDIS,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => {
      const logger = new Logger('Redis');
      return createRedis(config.redis.url, 'worker', 'worker', (error) =>
        logger.warn(`Redis: ${error.message}`),
      );
    },
  },
  {
    provide: RedisKeys,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => new RedisKeys(config.redis.prefix),
  },
];

@Injectable()
export class WorkerRedisShutdown implements OnApplicationShutdown {
  constructor(@Inject(WORKER_REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
