import { APP_CONFIG, AppConfig } from '@app/config';
import { Message, MessageRole, MessageStatus } from '@app/database';
import { enqueueReply, QueueName, RedisKeys, replyJobId } from '@app/queue';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { WORKER_REDIS } from '../redis.providers';
import { GenerationService } from './generation.service';

const BATCH = 200;

/**
 * The safety net that keeps every accepted message moving to a final state: it re-enqueues replies still queued a
 * while after they were stored (their job may have been lost with Redis), and fails replies stuck generating whose
 * job is gone. One worker at a time runs it, under a Redis lock.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Reconciler.name);
  private timer?: NodeJS.Timeout;
  private queue?: Queue;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(WORKER_REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly generation: GenerationService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.queue = new Queue(QueueName.Replies, {
      connection: { url: this.config.redis.url, connectionName: 'worker-reconciler' },
      prefix: this.config.redis.prefix,
    });
    this.queue.on('error', (error) => this.logger.warn(`Reconciler queue: ${error.message}`));
    this.timer = setInterval(() => void this.runOnce(), this.config.worker.reconcileIntervalSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.queue?.close();
  }

  /** Returns how many replies it re-enqueued and failed; skipped (zeros) when another worker holds the lock. */
  async runOnce(): Promise<{ requeued: number; failed: number }> {
    const lockKey = `${this.config.redis.prefix}:reconciler-lock`;
    const intervalMs = this.config.worker.reconcileIntervalSeconds * 1000;
    try {
      if ((await this.redis.set(lockKey, String(process.pid), 'PX', intervalMs, 'NX')) !== 'OK') {
        return { requeued: 0, failed: 0 };
      }
      return { requeued: await this.requeueForgotten(), failed: await this.failAbandoned() };
    } catch (error) {
      this.logger.warn({ err: error }, 'Reconciliation pass failed; will try again');
      return { requeued: 0, failed: 0 };
    }
  }

  private async requeueForgotten(): Promise<number> {
    const stale = await this.staleReplies(
      MessageStatus.Queued,
      Math.max(5, this.config.worker.reconcileIntervalSeconds),
    );
    let requeued = 0;
    for (const replyId of stale) {
      const job = await this.queue!.getJob(replyJobId(replyId));
      if (job && !(await job.isCompleted()) && !(await job.isFailed())) continue;
      if (job) await job.remove();
      await enqueueReply(this.queue!, replyId, { attempts: this.config.gemini.maxAttempts });
      requeued++;
    }
    if (requeued) this.logger.warn({ requeued }, 'Re-enqueued queued replies that had no live job');
    return requeued;
  }

  private async failAbandoned(): Promise<number> {
    const stale = await this.staleReplies(MessageStatus.Generating, this.config.chat.replyStaleAfterSeconds);
    let failed = 0;
    for (const replyId of stale) {
      const job = await this.queue!.getJob(replyJobId(replyId));
      if (job && ((await job.isActive()) || (await job.isWaiting()) || (await job.isDelayed()))) continue;
      await this.generation.fail(replyId, {
        code: 'STALLED',
        message: 'Generation stopped and was not resumed',
      });
      failed++;
    }
    return failed;
  }

  private async staleReplies(status: MessageStatus, olderThanSeconds: number): Promise<string[]> {
    const rows = await this.dataSource
      .getRepository(Message)
      .createQueryBuilder('message')
      .select('message.id', 'id')
      .where('message.role = :role AND message.status = :status', { role: MessageRole.Model, status })
      .andWhere(`message.updated_at < now() - make_interval(secs => :age)`, { age: olderThanSeconds })
      .orderBy('message.updated_at', 'ASC')
      .limit(BATCH)
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }
}
