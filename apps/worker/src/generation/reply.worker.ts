import { APP_CONFIG, AppConfig } from '@app/config';
import { isDependencyOutage } from '@app/database';
import { GeminiError } from '@app/gemini';
import { GenerateReplyJobData, QueueName, REPLY_BACKOFF } from '@app/queue';
import { ReplyErrorCode, ReplyLifecycle } from '@app/replies';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DelayedError, Job, Worker } from 'bullmq';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { retryDelayMs } from './backoff';
import { CancellationRegistry } from './cancellation.registry';
import { GenerationService } from './generation.service';

/** How long a reply waits before another try when PostgreSQL or Redis was unreachable. */
const DEPENDENCY_OUTAGE_RETRY_MS = 1000;

/**
 * The BullMQ consumer of reply jobs. Built here rather than with @nestjs/bullmq's @Processor because its options
 * (concurrency, lock duration, backoff base) come from the validated runtime config, which a decorator cannot read.
 */
@Injectable()
export class ReplyWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReplyWorker.name);
  private worker?: Worker<GenerateReplyJobData>;

  constructor(
    private readonly generation: GenerationService,
    private readonly replies: ReplyLifecycle,
    private readonly cancellations: CancellationRegistry,
    private readonly metrics: WorkerMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const { concurrency, lockDurationMs } = this.config.worker;
    this.worker = new Worker<GenerateReplyJobData>(QueueName.Replies, (job) => this.process(job), {
      connection: { url: this.config.redis.url, maxRetriesPerRequest: null, connectionName: 'worker-queue' },
      prefix: this.config.redis.prefix,
      concurrency,
      lockDuration: lockDurationMs,
      stalledInterval: lockDurationMs,
      maxStalledCount: 2,
      settings: {
        backoffStrategy: (attemptsMade: number, type?: string, error?: Error) =>
          type === REPLY_BACKOFF
            ? retryDelayMs(
                attemptsMade,
                this.config.gemini.retryBaseDelayMs,
                error instanceof GeminiError ? error.retryAfterMs : undefined,
              )
            : 0,
      },
    });
    this.worker.on('failed', (job, error) => void this.onFailed(job, error));
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'Queue worker error'));
    this.metrics.watch(this.worker, () => this.cancellations.size);
    if (!this.generationConfigured()) {
      this.logger.warn('GEMINI_API_KEY is not set: replies will fail with GEMINI_NOT_CONFIGURED');
    }
  }

  /**
   * Lets in-flight generations finish (SIGTERM) while the database and Redis connections, closed in the later
   * shutdown phase, are still open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }

  private async process(job: Job<GenerateReplyJobData>): Promise<string> {
    const isLastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const result = await this.generation
      .generate(job.data.replyId, isLastAttempt)
      .catch((error: unknown) => this.retryAfterOutage(job, error));
    this.logger.log(
      { replyId: job.data.replyId, requestId: job.data.requestId, attempt: job.attemptsMade + 1, result },
      'Reply job done',
    );
    return result;
  }

  /**
   * PostgreSQL or Redis being down is not the reply's fault: the job is tried again later without spending one of
   * its attempts, however long the outage lasts (BullMQ's retries would give up after a few backoffs). Any other
   * error, Gemini's network errors included, is rethrown for BullMQ's retries, which spend attempts.
   */
  private async retryAfterOutage(job: Job<GenerateReplyJobData>, error: unknown): Promise<never> {
    if (error instanceof GeminiError || !isDependencyOutage(error)) throw error;
    this.logger.warn(
      { replyId: job.data.replyId, err: error },
      'A dependency is down; the reply will be retried',
    );
    await job.moveToDelayed(Date.now() + DEPENDENCY_OUTAGE_RETRY_MS, job.token);
    throw new DelayedError();
  }

  /** A job that will not run again (attempts or stalls exhausted, or an unexpected error) must not leave its reply open. */
  private async onFailed(job: Job<GenerateReplyJobData> | undefined, error: Error): Promise<void> {
    if (!job) return;
    const willRetry = job.attemptsMade < (job.opts.attempts ?? 1) && !/stalled/i.test(error.message);
    if (willRetry) {
      this.logger.warn(
        { replyId: job.data.replyId, attempt: job.attemptsMade, err: error },
        'Reply attempt failed; retrying',
      );
      return;
    }
    const failure =
      error instanceof GeminiError
        ? { code: error.code, message: `${error.message}; gave up after ${job.attemptsMade} attempts` }
        : /stalled/i.test(error.message)
          ? { code: ReplyErrorCode.Stalled, message: 'The worker generating this reply stopped repeatedly' }
          : { code: ReplyErrorCode.InternalError, message: 'The reply could not be generated' };
    try {
      await this.replies.fail(job.data.replyId, failure);
    } catch (failError) {
      this.logger.error(
        { err: failError, replyId: job.data.replyId },
        'Could not record a failed reply; the reconciler will',
      );
    }
  }

  private generationConfigured(): boolean {
    return Boolean(this.config.gemini.apiKey);
  }
}
