import { monitorEventLoopDelay } from 'node:perf_hooks';
import { distribution, Distribution, round } from './stats';

/** Sends one request; resolves with its HTTP status. */
export type Send = (index: number) => Promise<number>;

export interface LoadResult {
  startedAt: Date;
  endedAt: Date;
  /** Requests sent per second over the window. */
  sentPerSecond: number;
  statuses: Record<string, number>;
  errors: number;
  /** Response time of each request, from the moment it was sent (ms). */
  latencyMs: Distribution;
}

class Recorder {
  readonly statuses: Record<string, number> = {};
  readonly latencies: number[] = [];
  errors = 0;
  sent = 0;

  async record(send: Send): Promise<void> {
    const index = this.sent;
    this.sent += 1;
    const started = performance.now();
    try {
      const status = await send(index);
      this.statuses[status] = (this.statuses[status] ?? 0) + 1;
      this.latencies.push(performance.now() - started);
    } catch {
      this.errors += 1;
    }
  }

  result(startedAt: Date, windowMs: number): LoadResult {
    return {
      startedAt,
      endedAt: new Date(startedAt.getTime() + windowMs),
      sentPerSecond: round(this.sent / (windowMs / 1000)),
      statuses: this.statuses,
      errors: this.errors,
      latencyMs: distribution(this.latencies),
    };
  }
}

/**
 * Open-loop load at a fixed rate, spread evenly over each second (autocannon's `overallRate` instead lets each
 * connection send its share of a second back to back at the start of it, a burst every second). Stops sending
 * after `durationSeconds`, then waits for the answers still outstanding. `maxOutstanding` bounds the requests in
 * flight; when the server falls that far behind, sending slows down and `sentPerSecond` shows it.
 */
export async function pacedLoad(options: {
  ratePerSecond: number;
  durationSeconds: number;
  maxOutstanding: number;
  send: Send;
}): Promise<LoadResult> {
  const recorder = new Recorder();
  const outstanding = new Set<Promise<void>>();
  const startedAt = new Date();
  const start = performance.now();
  const windowMs = options.durationSeconds * 1000;
  const total = Math.round(options.ratePerSecond * options.durationSeconds);
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsed / 1000) * options.ratePerSecond));
      while (recorder.sent < due && outstanding.size < options.maxOutstanding) {
        const request = recorder.record(options.send).finally(() => outstanding.delete(request));
        outstanding.add(request);
      }
      if (recorder.sent >= total || elapsed >= windowMs) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  const sendingMs = performance.now() - start;
  await Promise.all(outstanding);
  return recorder.result(startedAt, sendingMs);
}

/**
 * Closed-loop load: `concurrency` senders, each sending its next request as soon as the previous one answered,
 * for `durationSeconds` or until `maxRequests` were sent.
 */
export async function closedLoad(options: {
  concurrency: number;
  durationSeconds: number;
  maxRequests?: number;
  send: Send;
}): Promise<LoadResult> {
  const recorder = new Recorder();
  const startedAt = new Date();
  const start = performance.now();
  const deadline = start + options.durationSeconds * 1000;
  const limit = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const sender = async (): Promise<void> => {
    while (performance.now() < deadline && recorder.sent < limit) await recorder.record(options.send);
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
  return recorder.result(startedAt, performance.now() - start);
}

export interface SelfUsage {
  /** CPU time of this (load-generating) process per second of wall time: 1 = one core busy. */
  cpuCores: number;
  eventLoopDelayP99Ms: number;
}

/**
 * Measures this process while it generates load, to show whether the load generator (and the fake Gemini in it)
 * could be the bottleneck.
 */
export function watchSelf(): { stop(): SelfUsage } {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  return {
    stop: () => {
      delay.disable();
      const used = process.cpuUsage(cpu);
      const wallMicros = (performance.now() - started) * 1000;
      return {
        cpuCores: round((used.user + used.system) / wallMicros, 2),
        eventLoopDelayP99Ms: round(delay.percentile(99) / 1e6),
      };
    },
  };
}
