import { APP_CONFIG, AppConfig } from '@app/config';
import { failFastOnceReady, redisOptions, RedisKeys } from '@app/queue';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { ExecutionContext, Logger, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { ApiThrottler, RateLimitGuard } from './rate-limit.guard';

const isAuthRoute = (context: ExecutionContext): boolean =>
  context.switchToHttp().getRequest<FastifyRequest>().url.startsWith('/auth/');
const isHealthRoute = (context: ExecutionContext): boolean =>
  context.switchToHttp().getRequest<FastifyRequest>().url.startsWith('/health');

/**
 * Burst limits, counted in Redis so every api instance shares them: per user (or per IP before login) on every
 * route, and a stricter per-IP limit on /auth/*. The daily prompt quota is a separate mechanism (quota/).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const storage = new ThrottlerStorageRedisService(config.redis.url, {
          ...redisOptions('api'),
          keyPrefix: new RedisKeys(config.redis.prefix).throttlePrefix(),
          connectionName: 'api-throttle',
        });
        // Without a listener ioredis reports every failed reconnect as an unhandled error.
        const logger = new Logger('Redis');
        storage.redis.on('error', (error: Error) => logger.warn(`Redis (rate limits): ${error.message}`));
        failFastOnceReady(storage.redis);
        return {
          throttlers: [
            {
              name: 'burst',
              ttl: 60_000,
              limit: config.limits.ratePerMinute,
              skipIf: (context) =>
                config.limits.ratePerMinute === 0 || isAuthRoute(context) || isHealthRoute(context),
            },
            {
              name: 'auth',
              ttl: 60_000,
              limit: config.auth.rateLimitPerMinute,
              skipIf: (context) => !isAuthRoute(context),
            },
          ],
          storage,
        };
      },
    }),
  ],
  providers: [ApiThrottler, { provide: APP_GUARD, useClass: RateLimitGuard }],
})
export class ThrottlingModule {}
