import { APP_CONFIG, AppConfig } from '@app/config';
import { MessageStatus } from '@app/database';
import { enqueueReply, QueueName, REDIS, RedisKeys, replyJobId } from '@app/queue';
import { ReplyErrorCode, ReplyLifecycle, ReplyRepository } from '@app/replies';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import Redis from 'ioredis';

const BATCH = 200;

/**
 * The safety net that keeps every accepted message moving to a final state: it re-enqueues replies still queued a
 * while after they were stored (their job may have been lost with Redis), re-enqueues replies stuck generating whose
 * job is gone while they have attempts left, and fails the others (`STALLED`). One worker at a time runs it, under a
 * Redis lock.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Reconciler.name);
  private timer?: NodeJS.Timeout;
  private queue?: Queue;

  constructor(
    private readonly replies: ReplyRepository,
    private readonly lifecycle: ReplyLifecycle,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
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
    const lockKey = this.keys.reconcilerLock();
    const intervalMs = this.config.worker.reconcileIntervalSeconds * 1000;
    try {
      if ((await this.redis.set(lockKey, String(process.pid), 'PX', intervalMs, 'NX')) !== 'OK') {
        return { requeued: 0, failed: 0 };
      }
      const forgotten = await this.requeueForgotten();
      const abandoned = await this.settleAbandoned();
      return { requeued: forgotten + abandoned.requeued, failed: abandoned.failed };
    } catch (error) {
      this.logger.warn({ err: error }, 'Reconciliation pass failed; will try again');
      return { requeued: 0, failed: 0 };
    }
  }

  private async requeueForgotten(): Promise<number> {
    const stale = await this.replies.stale(
      MessageStatus.Queued,
      Math.max(5, this.config.worker.reconcileIntervalSeconds),
      BATCH,
    );
    let requeued = 0;
    for (const { id: replyId } of stale) {
      const job = await this.queue!.getJob(replyJobId(replyId));
      if (job && !(await job.isCompleted()) && !(await job.isFailed())) continue;
      if (job) await job.remove();
      await enqueueReply(this.queue!, replyId, { attempts: this.config.gemini.maxAttempts });
      requeued++;
    }
    if (requeued) this.logger.warn({ requeued }, 'Re-enqueued queued replies that had no live job');
    return requeued;
  }

  /**
   * A reply generating with no job left may have lost its job with Redis (a restart without persistence): that is
   * not the reply's fault, so it gets a new job with the attempts it has left (each claim counted one). One whose
   * attempts are spent, or whose job finished without settling it, is failed.
   */
  private async settleAbandoned(): Promise<{ requeued: number; failed: number }> {
    const stale = await this.replies.stale(
      MessageStatus.Generating,
      this.config.chat.replyStaleAfterSeconds,
      BATCH,
    );
    let requeued = 0;
    let failed = 0;
    for (const { id: replyId, attempts } of stale) {
      const job = await this.queue!.getJob(replyJobId(replyId));
      if (job && ((await job.isActive()) || (await job.isWaiting()) || (await job.isDelayed()))) continue;
      const attemptsLeft = this.config.gemini.maxAttempts - attempts;
      if (!job && attemptsLeft > 0) {
        await enqueueReply(this.queue!, replyId, { attempts: attemptsLeft });
        requeued++;
        continue;
      }
      await this.lifecycle.fail(replyId, {
        code: ReplyErrorCode.Stalled,
        message: 'Generation stopped and was not resumed',
      });
      failed++;
    }
    if (requeued) this.logger.warn({ requeued }, 'Re-enqueued generating replies whose job was lost');
    return { requeued, failed };
  }
}
