import { APP_CONFIG, AppConfig } from '@app/config';
import { QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';

const REPLIES_QUEUE = getQueueToken(QueueName.Replies);

/**
 * The api's producer side of the replies queue; its Redis connection fails fast so a POST answers 503 quickly.
 * The queue is built here rather than by `BullModule.registerQueue` so that its error listener is attached at
 * construction: BullMQ prints every connection error of a queue without one to stderr, stack and all, and the
 * first can arrive before any lifecycle hook runs.
 */
function createRepliesQueue(config: AppConfig): Queue {
  const logger = new Logger('RepliesQueue');
  const queue = new Queue(QueueName.Replies, {
    connection: {
      url: config.redis.url,
      connectionName: 'api-queue',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    },
    prefix: config.redis.prefix,
  });
  queue.on('error', (error) => logger.warn(`Replies queue: ${error.message}`));
  return queue;
}

@Injectable()
class RepliesQueueShutdown implements OnApplicationShutdown {
  constructor(@Inject(REPLIES_QUEUE) private readonly queue: Queue) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}

@Module({
  providers: [
    { provide: REPLIES_QUEUE, inject: [APP_CONFIG], useFactory: createRepliesQueue },
    RepliesQueueShutdown,
  ],
  exports: [REPLIES_QUEUE],
})
export class RepliesQueueModule {}
