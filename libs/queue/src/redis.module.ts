import { APP_CONFIG, AppConfig } from '@app/config';
import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import Redis from 'ioredis';
import { createRedis } from './redis-connection';
import { RedisKeys } from './redis-keys';
import { REDIS } from './redis.token';

@Injectable()
class RedisShutdown implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * An app's general-purpose Redis connection (`REDIS`: commands, scripts, publishing) and its key builder. The
 * api's fails fast so requests answer 503 quickly, and pipelines the reads of concurrent requests; the worker's
 * waits (see `redisOptions`).
 */
@Global()
@Module({})
export class RedisModule {
  static forRoot(role: 'api' | 'worker'): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        {
          provide: REDIS,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => {
            const logger = new Logger('Redis');
            return createRedis(
              config.redis.url,
              role,
              role,
              (error) => logger.warn(`Redis: ${error.message}`),
              { autoPipelining: role === 'api' },
            );
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
    };
  }
}
