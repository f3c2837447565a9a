import { APP_CONFIG, AppConfig } from '@app/config';
import { QueueName, redisOptions } from '@app/queue';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';

/** The api's producer side of the replies queue; its Redis connection fails fast so a POST answers 503 quickly. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        connection: { url: config.redis.url, ...redisOptions('api'), connectionName: 'api-queue' },
        prefix: config.redis.prefix,
      }),
    }),
    BullModule.registerQueue({ name: QueueName.Replies }),
  ],
  exports: [BullModule],
})
export class RepliesQueueModule {}
