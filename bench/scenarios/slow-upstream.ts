import { FakeGemini } from '@app/stand-ins';
import { EventLoopDelay } from '../support/app-process';
import { HttpClient } from '../support/http';
import { closedLoad, LoadResult, SelfUsage, watchSelf } from '../support/load';
import { waitForDrain } from '../support/replies';
import { BENCH_RUNS, numberFromEnv, ResultRow, RunContext, Scenario } from '../support/scenario';
import { BenchStack } from '../support/stack';
import { median, round } from '../support/stats';
import { createUsers, targets } from '../support/users';
import { scrapeMetrics } from '../support/worker-metrics';

const PROMPTS = numberFromEnv('BENCH_SLOW_PROMPTS', 1500);
const CONCURRENCY = numberFromEnv('BENCH_SLOW_CONCURRENCY', 600);
const USERS = 100;
const CHATROOMS_PER_USER = 4;
const CHUNKS = 10;
const CHUNK_INTERVAL_MS = 200;
const MB = 1024 * 1024;

interface SlowRun {
  queued: LoadResult;
  /** Streams open at the fake at once, sampled every 100 ms. */
  maxOpenStreams: number;
  secondsAtOrAbove500: number;
  /** From the worker's readiness until every reply completed. */
  windowSeconds: number;
  maxRssMb: number;
  /** From /metrics when the worker has it, else from the IPC probe. */
  eventLoopDelayP99Ms: number;
  eventLoopSource: 'metrics' | 'probe';
  probe: EventLoopDelay;
  metricsRssMb?: number;
  /** process.memoryUsage() of the worker at its highest RSS, in MB. */
  memoryAtMaxMb?: Record<string, number>;
  self: SelfUsage;
}

/**
 * The prompts are queued before the worker starts: on this machine the api, sharing two cores with the worker,
 * cannot accept the ~250 prompts/s that keep 500 two-second generations open (scenario 2 measures its rate). The
 * worker then starts into a backlog of PROMPTS replies, more than its concurrency, and holds as many streams
 * open as it can until the backlog is gone.
 */
async function runOnce(context: RunContext): Promise<SlowRun> {
  const gemini = new FakeGemini(undefined, () => ({
    kind: 'answer',
    chunks: Array.from({ length: CHUNKS }, (_, index) => `word${index} `),
    chunkDelayMs: CHUNK_INTERVAL_MS,
  }));
  await gemini.start();
  const stack = await BenchStack.create({
    label: `slow${context.runIndex}`,
    ...context,
    gemini,
    env: { WORKER_CONCURRENCY: String(CONCURRENCY) },
    probe: ['worker'],
  });
  const api = new HttpClient(stack.apiUrl);
  const samplers: NodeJS.Timeout[] = [];
  try {
    await stack.startApp('api');
    const pairs = targets(await createUsers(api, USERS, CHATROOMS_PER_USER));
    const queued = await closedLoad({
      concurrency: 32,
      durationSeconds: 120,
      maxRequests: PROMPTS,
      send: async (index) => {
        const { token, chatroomId } = pairs[index % pairs.length];
        const response = await api.send('POST', `/chatroom/${chatroomId}/message`, {
          token,
          body: { content: `slow prompt ${index}` },
        });
        return response.status;
      },
    });

    let maxOpenStreams = 0;
    let samplesAtOrAbove500 = 0;
    let maxRss = 0;
    let memoryAtMax: NodeJS.MemoryUsage | undefined;
    const sampler = setInterval(() => {
      maxOpenStreams = Math.max(maxOpenStreams, gemini.openStreams);
      if (gemini.openStreams >= 500) samplesAtOrAbove500 += 1;
      maxRss = Math.max(maxRss, stack.app('worker').rssBytes() ?? 0);
    }, 100);
    samplers.push(sampler);
    await stack.startApp('worker');
    const worker = stack.app('worker');
    // Where the memory is (heap or buffers) when RSS peaks: the evidence when the RSS target is missed.
    const memorySampler = setInterval(() => {
      void worker.memoryUsage().then(
        (memory) => {
          if (memory.rss > (memoryAtMax?.rss ?? 0)) memoryAtMax = memory;
        },
        () => undefined,
      );
    }, 250);
    samplers.push(memorySampler);
    // Both reset their event-loop histogram here, so start-up (module loading) stays out of the window.
    await scrapeMetrics(stack.workerUrl);
    await worker.eventLoopDelay();
    const self = watchSelf();
    const started = performance.now();
    await waitForDrain(stack, 120_000);
    const windowSeconds = round((performance.now() - started) / 1000);
    const metrics = await scrapeMetrics(stack.workerUrl);
    const probe = await worker.eventLoopDelay();
    const selfUsage = self.stop();
    samplers.forEach(clearInterval);

    const metricsDelay = metrics?.get('nodejs_eventloop_lag_p99_seconds');
    const metricsRss = metrics?.get('process_resident_memory_bytes');
    return {
      queued,
      maxOpenStreams,
      secondsAtOrAbove500: round(samplesAtOrAbove500 / 10),
      windowSeconds,
      maxRssMb: round(maxRss / MB),
      eventLoopDelayP99Ms: round(metricsDelay !== undefined ? metricsDelay * 1000 : probe.p99),
      eventLoopSource: metricsDelay !== undefined ? 'metrics' : 'probe',
      probe,
      metricsRssMb: metricsRss === undefined ? undefined : round(metricsRss / MB),
      memoryAtMaxMb: memoryAtMax
        ? Object.fromEntries(Object.entries(memoryAtMax).map(([name, bytes]) => [name, round(bytes / MB)]))
        : undefined,
      self: selfUsage,
    };
  } finally {
    samplers.forEach(clearInterval);
    api.close();
    await stack.stop();
    await gemini.stop();
  }
}

function rows(runs: SlowRun[]): ResultRow[] {
  const row = (
    metric: string,
    unit: string,
    pick: (run: SlowRun) => number,
    extra: Partial<ResultRow> = {},
  ) => {
    const values = runs.map(pick);
    return { metric, unit, value: median(values), runs: values, ...extra };
  };
  return [
    row('Backlog drained in', 's', (run) => run.windowSeconds, {
      note: `${PROMPTS} prompts queued, then the worker started; each answer streams ${CHUNKS} chunks ${CHUNK_INTERVAL_MS} ms apart`,
    }),
    row('Generations in flight, max (open streams at the fake)', 'streams', (run) => run.maxOpenStreams, {
      target: { comparison: '>=', value: 500 },
      note: `one worker process, WORKER_CONCURRENCY ${CONCURRENCY}`,
    }),
    row('Time with ≥ 500 in flight', 's', (run) => run.secondsAtOrAbove500),
    row('Worker RSS, max (/proc VmRSS every 100 ms)', 'MB', (run) => run.maxRssMb, {
      target: { comparison: '<=', value: 300 },
      note: `at the peak: V8 heap used ${runs.map((run) => run.memoryAtMaxMb?.heapUsed ?? '?').join('/')} MB of ${runs.map((run) => run.memoryAtMaxMb?.heapTotal ?? '?').join('/')} MB, external ${runs.map((run) => run.memoryAtMaxMb?.external ?? '?').join('/')} MB`,
    }),
    row('Worker event-loop delay p99, ready → drained', 'ms', (run) => run.eventLoopDelayP99Ms, {
      target: { comparison: '<=', value: 50 },
      note: `source: ${runs.map((run) => run.eventLoopSource).join('/')}`,
    }),
    row('Load generator + fake Gemini CPU', 'cores', (run) => run.self.cpuCores, {
      note: `its event-loop delay p99 ${median(runs.map((run) => run.self.eventLoopDelayP99Ms))} ms`,
    }),
  ];
}

export const slowUpstreamScenario: Scenario<SlowRun> = {
  id: 'slow-upstream',
  title: '3. Slow upstream (2 s streams)',
  runs: BENCH_RUNS,
  runOnce,
  rows,
};
