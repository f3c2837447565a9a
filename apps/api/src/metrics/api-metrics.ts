import { createMetricsRegistry, LATENCY_BUCKETS_SECONDS } from '@app/observability';
import { QueueName } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type CacheLookupResult = 'hit' | 'miss' | 'error';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
/** A scrape must not hang on Redis: past this, the queue gauge is left out of that scrape. */
const QUEUE_COUNT_TIMEOUT_MS = 1000;

/** The api's Prometheus metrics: HTTP latency, 429s, the chatroom list cache, the reply queue, and the process. */
@Injectable()
export class ApiMetrics {
  readonly registry: Registry = createMetricsRegistry('api');

  private readonly requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status (an SSE stream counts until it ends)',
    labelNames: ['method', 'route', 'status_code'],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  private readonly rejections = new Counter({
    name: 'rate_limit_rejections_total',
    help: 'Requests answered 429, by error code (RATE_LIMITED, DAILY_QUOTA_EXCEEDED, OTP_RATE_LIMITED)',
    labelNames: ['code'],
    registers: [this.registry],
  });

  private readonly cacheLookups = new Counter({
    name: 'chatroom_list_cache_lookups_total',
    help: 'Reads of the per-user chatroom list cache, by result (hit, miss, error: Redis failed, PostgreSQL answered)',
    labelNames: ['result'],
    registers: [this.registry],
  });

  private readonly cacheCounts: Record<CacheLookupResult, number> = { hit: 0, miss: 0, error: 0 };

  constructor(@InjectQueue(QueueName.Replies) queue: Queue) {
    const counts = this.cacheCounts;
    new Gauge({
      name: 'chatroom_list_cache_hit_ratio',
      help: 'Share of chatroom list cache reads served from Redis since this process started',
      registers: [this.registry],
      collect() {
        const lookups = counts.hit + counts.miss + counts.error;
        this.set(lookups === 0 ? 0 : counts.hit / lookups);
      },
    });
    new Gauge({
      name: 'bullmq_queue_jobs',
      help: 'Jobs in a BullMQ queue by state (completed and failed: those still retained)',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const jobCounts = await withTimeout(queue.getJobCounts(...QUEUE_STATES)).catch(() => undefined);
        for (const state of QUEUE_STATES) {
          if (jobCounts) this.set({ queue: queue.name, state }, jobCounts[state] ?? 0);
        }
      },
    });
  }

  /** Times every response Fastify sends, labelled by the route pattern so ids do not explode the series count. */
  observeHttp(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      this.requestDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }

  countRejection(code: string): void {
    this.rejections.inc({ code });
  }

  countCacheLookup(result: CacheLookupResult): void {
    this.cacheCounts[result]++;
    this.cacheLookups.inc({ result });
  }
}

function withTimeout<T>(operation: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('queue counts timed out')), QUEUE_COUNT_TIMEOUT_MS);
  });
  return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
}
