import { APP_CONFIG, AppConfig } from '@app/config';
import { QueueName } from '@app/queue';
import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';

/** Without a listener, BullMQ prints every failed reconnection of the queue's connection to stderr, stack and all. */
@Injectable()
class RepliesQueueErrorLog implements OnModuleInit {
  private readonly logger = new Logger('RepliesQueue');

  constructor(@InjectQueue(QueueName.Replies) private readonly queue: Queue) {}

  onModuleInit(): void {
    this.queue.on('error', (error) => this.logger.warn(`Replies queue: ${error.message}`));
  }
}

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
  providers: [RepliesQueueErrorLog],
  exports: [BullModule],
})
export class RepliesQueueModule {}
