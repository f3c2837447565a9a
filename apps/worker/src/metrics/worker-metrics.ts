import { GeminiCallRecord } from '@app/gemini';
import { createMetricsRegistry, LATENCY_BUCKETS_SECONDS } from '@app/observability';
import { GenerateReplyJobData } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The worker's Prometheus metrics: reply jobs, Gemini calls, and (by default) the process itself. */
@Injectable()
export class WorkerMetrics {
  readonly registry: Registry = createMetricsRegistry('worker');

  private readonly geminiDuration = new Histogram({
    name: 'gemini_request_duration_seconds',
    help: 'Duration of one Gemini streaming call, from request to last chunk, by outcome (ok or error code)',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  private readonly geminiFirstChunk = new Histogram({
    name: 'gemini_time_to_first_chunk_seconds',
    help: 'Time from sending a Gemini request to receiving the first piece of text',
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  private readonly geminiTokens = new Counter({
    name: 'gemini_tokens_total',
    help: 'Tokens reported by Gemini for successful calls, by kind (prompt or output)',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  private readonly storedTokens = new Counter({
    name: 'reply_tokens_total',
    help:
      'Tokens of stored replies (what the usage ledger counts), by kind (prompt, output, thinking, or system for ' +
      "chatroom titles), model and the owner's tier",
    labelNames: ['kind', 'model', 'tier'],
    registers: [this.registry],
  });

  private readonly jobDuration = new Histogram({
    name: 'reply_job_duration_seconds',
    help: 'Processing time of one reply job attempt, by result (completed, failed, cancelled, skipped, error)',
    labelNames: ['result'],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  private readonly jobWait = new Histogram({
    name: 'reply_job_wait_seconds',
    help: 'Time a reply job waited in the queue before its first attempt started',
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  /** Bound to this instance so it can be handed to the Gemini client as its observer. */
  readonly recordGeminiCall = (record: GeminiCallRecord): void => {
    this.geminiDuration.observe({ outcome: record.outcome }, record.durationMs / 1000);
    if (record.firstChunkMs !== undefined) this.geminiFirstChunk.observe(record.firstChunkMs / 1000);
    if (record.promptTokens) this.geminiTokens.inc({ kind: 'prompt' }, record.promptTokens);
    if (record.outputTokens) this.geminiTokens.inc({ kind: 'output' }, record.outputTokens);
  };

  /** Counts the tokens of a reply whose completion was stored, once, as the ledger does. */
  countStoredTokens(
    labels: { model: string; tier: string },
    tokens: { prompt: number | null; output: number | null; thinking: number | null; system?: number },
  ): void {
    for (const [kind, count] of Object.entries(tokens)) {
      if (count) this.storedTokens.inc({ kind, ...labels }, count);
    }
  }

  /** Records the job timings of a BullMQ worker and reports how many generations run right now. */
  watch(worker: Worker<GenerateReplyJobData>, generationsInFlight: () => number): void {
    new Gauge({
      name: 'reply_generations_in_flight',
      help: 'Replies this worker process is generating right now',
      registers: [this.registry],
      collect() {
        this.set(generationsInFlight());
      },
    });
    worker.on('active', (job) => {
      if (job.attemptsMade === 0) this.jobWait.observe(secondsBetween(job.timestamp, job.processedOn));
    });
    worker.on('completed', (job, result: string) => this.observeAttempt(job, result));
    worker.on('failed', (job) => {
      if (job) this.observeAttempt(job, 'error');
    });
  }

  private observeAttempt(job: Job<GenerateReplyJobData>, result: string): void {
    this.jobDuration.observe({ result }, secondsBetween(job.processedOn, job.finishedOn));
  }
}

function secondsBetween(start: number | undefined, end: number | undefined): number {
  const finish = end ?? Date.now();
  return Math.max(0, finish - (start ?? finish)) / 1000;
}
