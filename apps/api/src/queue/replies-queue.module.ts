import { APP_CONFIG, AppConfig } from '@app/config';
import { QueueName } from '@app/queue';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';

/** The api's producer side of the replies queue; its Redis connection fails fast so a POST answers 503 quickly. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        connection: {
          url: config.redis.url,
          connectionName: 'api-queue',
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
        },
        prefix: config.redis.prefix,
      }),
    }),
    BullModule.registerQueue({ name: QueueName.Replies }),
  ],
  exports: [BullModule],
})
export class RepliesQueueModule {}
