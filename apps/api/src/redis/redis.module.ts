import { APP_CONFIG, AppConfig } from '@app/config';
import { createRedis, RedisKeys } from '@app/queue';
import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';

export const REDIS = Symbol('REDIS');

@Injectable()
class RedisShutdown implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** The api's general-purpose Redis client (quota, OTP throttling, reply streams) and its key builder. */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const logger = new Logger('Redis');
        return createRedis(config.redis.url, 'api', 'api', (error) => logger.warn(`Redis: ${error.message}`));
      },
    },
    {
      provide: RedisKeys,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new RedisKeys(config.redis.prefix),
    },
    RedisShutdown,
  ],
  exports: [REDIS, RedisKeys],
})
export class RedisModule {}
