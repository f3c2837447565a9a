import { FakeGemini } from '@app/stand-ins';
import { HttpClient, sleep } from '../support/http';
import { closedLoad, LoadResult, pacedLoad, Send, SelfUsage, watchSelf } from '../support/load';
import { BENCH_RUNS, numberFromEnv, ResultRow, RunContext, Scenario, seconds } from '../support/scenario';
import { BenchStack } from '../support/stack';
import { distribution, Distribution, median, round } from '../support/stats';
import { createUsers, targets } from '../support/users';
import { backlog, waitForDrain } from '../support/replies';

/** Scenario 2 asks for 300 replies/s: offered at exactly that rate, the backlog shows whether the stack keeps up. */
const THROUGHPUT_RATE = numberFromEnv('BENCH_PIPELINE_RATE', 300);
/** Added latency is measured at a rate this machine sustains with CPU to spare, so it shows the pipeline's own cost. */
const LATENCY_RATE = numberFromEnv('BENCH_PIPELINE_LATENCY_RATE', 150);
const USERS = numberFromEnv('BENCH_PIPELINE_USERS', 100);
const CHATROOMS_PER_USER = 4;
const SATURATION_CONCURRENCY = numberFromEnv('BENCH_SATURATION_CONCURRENCY', 64);
const MAX_OUTSTANDING = 512;

/** One window of prompts at a fixed rate, and what the stack did with them. */
interface PipelineWindow {
  rate: number;
  offered: LoadResult;
  /** Prompts sent in the window. */
  sent: number;
  /** Completed replies per second whose completion fell inside the window. */
  completedPerSecond: number;
  /** Replies queued or generating, sampled each second during the window. */
  backlogSamples: number[];
  drainSeconds: number;
  /** reply.completed_at − prompt.created_at of every prompt sent in the window (ms). */
  addedLatencyMs: Distribution;
  workerCpuCores: number;
  apiCpuCores: number;
  /** CPU time per accepted prompt and per completed reply: unlike rates, barely moved by other load on the machine. */
  apiCpuMsPerPrompt: number;
  workerCpuMsPerReply: number;
  self: SelfUsage;
}

interface PipelineRun {
  throughput: PipelineWindow;
  latency: PipelineWindow;
  failedReplies: number;
  saturation?: { offered: LoadResult; completedPerSecond: number };
}

/** POSTs prompts round-robin over every (user, chatroom) pair. */
function promptSender(api: HttpClient, pairs: { token: string; chatroomId: string }[], tag: string): Send {
  return async (index) => {
    const { token, chatroomId } = pairs[index % pairs.length];
    const response = await api.send('POST', `/chatroom/${chatroomId}/message`, {
      token,
      body: { content: `${tag} prompt ${index}: plan three days in Lisbon` },
    });
    return response.status;
  };
}

async function completedBetween(stack: BenchStack, from: Date, to: Date): Promise<number> {
  const [row] = await stack.database.query<{ count: string }>(
    `SELECT count(*) FROM messages WHERE role = 'model' AND status = 'completed'
      AND completed_at >= $1 AND completed_at < $2`,
    [from, to],
  );
  return Number(row.count);
}

async function measureWindow(stack: BenchStack, send: Send, rate: number): Promise<PipelineWindow> {
  const worker = stack.app('worker');
  const apiProcess = stack.app('api');
  const cpu = { worker: worker.cpuSeconds(), api: apiProcess.cpuSeconds() };
  const backlogSamples: number[] = [];
  const sampler = setInterval(
    () =>
      void backlog(stack).then(
        (count) => backlogSamples.push(count),
        () => undefined,
      ),
    1000,
  );
  const self = watchSelf();
  let offered: LoadResult;
  try {
    offered = await pacedLoad({
      ratePerSecond: rate,
      durationSeconds: seconds(20),
      maxOutstanding: MAX_OUTSTANDING,
      send,
    });
  } finally {
    clearInterval(sampler);
  }
  const selfUsage = self.stop();
  const windowSeconds = (offered.endedAt.getTime() - offered.startedAt.getTime()) / 1000;
  const workerCpuSeconds = worker.cpuSeconds() - cpu.worker;
  const apiCpuSeconds = apiProcess.cpuSeconds() - cpu.api;
  const drainStarted = performance.now();
  await waitForDrain(stack, 120_000);
  const drainSeconds = round((performance.now() - drainStarted) / 1000);

  const completed = await completedBetween(stack, offered.startedAt, offered.endedAt);
  const latencies = await stack.database.query<{ ms: number }>(
    `SELECT EXTRACT(EPOCH FROM (reply.completed_at - prompt.created_at)) * 1000 AS ms
       FROM messages reply JOIN messages prompt ON prompt.id = reply.parent_id
      WHERE reply.status = 'completed' AND prompt.created_at >= $1 AND prompt.created_at < $2`,
    [offered.startedAt, offered.endedAt],
  );
  const accepted = offered.statuses[202] ?? 0;
  return {
    rate,
    offered,
    sent: Object.values(offered.statuses).reduce((sum, count) => sum + count, 0) + offered.errors,
    completedPerSecond: round(completed / windowSeconds),
    backlogSamples,
    drainSeconds,
    addedLatencyMs: distribution(latencies.map((row) => Number(row.ms))),
    workerCpuCores: round(workerCpuSeconds / windowSeconds, 2),
    apiCpuCores: round(apiCpuSeconds / windowSeconds, 2),
    apiCpuMsPerPrompt: round((apiCpuSeconds * 1000) / accepted, 2),
    workerCpuMsPerReply: round((workerCpuSeconds * 1000) / completed, 2),
    self: selfUsage,
  };
}

async function runOnce(context: RunContext): Promise<PipelineRun> {
  const gemini = new FakeGemini();
  await gemini.start();
  const stack = await BenchStack.start({ label: `pipeline${context.runIndex}`, ...context, gemini });
  const api = new HttpClient(stack.apiUrl);
  try {
    const pairs = targets(await createUsers(api, USERS, CHATROOMS_PER_USER));
    await pacedLoad({
      ratePerSecond: THROUGHPUT_RATE,
      durationSeconds: seconds(3),
      maxOutstanding: MAX_OUTSTANDING,
      send: promptSender(api, pairs, 'warmup'),
    });
    await waitForDrain(stack, 60_000);

    const throughput = await measureWindow(stack, promptSender(api, pairs, 'throughput'), THROUGHPUT_RATE);
    const latency = await measureWindow(stack, promptSender(api, pairs, 'latency'), LATENCY_RATE);
    const [failed] = await stack.database.query<{ count: string }>(
      `SELECT count(*) FROM messages WHERE role = 'model' AND status <> 'completed'`,
    );

    let saturation: PipelineRun['saturation'];
    const saturationSeconds = seconds(10);
    if (numberFromEnv('BENCH_SATURATION', 1)) {
      const flood = await closedLoad({
        concurrency: SATURATION_CONCURRENCY,
        durationSeconds: saturationSeconds,
        send: promptSender(api, pairs, 'saturation'),
      });
      // The first two seconds fill the queue; after that the worker always has a backlog.
      const from = new Date(flood.startedAt.getTime() + 2000);
      const count = await completedBetween(stack, from, flood.endedAt);
      saturation = { offered: flood, completedPerSecond: round(count / (saturationSeconds - 2)) };
      await sleep(500);
    }
    return { throughput, latency, failedReplies: Number(failed.count), saturation };
  } finally {
    api.close();
    await stack.stop();
    await gemini.stop();
  }
}

function rows(runs: PipelineRun[]): ResultRow[] {
  const row = (
    metric: string,
    unit: string,
    pick: (run: PipelineRun) => number,
    extra: Partial<ResultRow> = {},
  ) => {
    const values = runs.map(pick);
    return { metric, unit, value: median(values), runs: values, ...extra };
  };
  const load = `over ${USERS} users × ${CHATROOMS_PER_USER} chatrooms, ${seconds(20)} s`;
  return [
    row(
      `At ${THROUGHPUT_RATE} prompts/s: prompts sent`,
      'req/s',
      (run) => run.throughput.offered.sentPerSecond,
      {
        note: `fixed rate ${load}`,
      },
    ),
    row(`At ${THROUGHPUT_RATE} prompts/s: prompts accepted (202)`, '%', (run) =>
      round((100 * (run.throughput.offered.statuses[202] ?? 0)) / run.throughput.sent),
    ),
    row(
      `At ${THROUGHPUT_RATE} prompts/s: sustained completed replies`,
      'replies/s',
      (run) => run.throughput.completedPerSecond,
      { target: { comparison: '>=', value: 300 }, note: 'one worker process, WORKER_CONCURRENCY 50' },
    ),
    row(
      `At ${THROUGHPUT_RATE} prompts/s: backlog (queued + generating), max sampled`,
      'replies',
      (run) => Math.max(0, ...run.throughput.backlogSamples),
      { note: 'sampled every second; a bounded backlog means the worker keeps up' },
    ),
    row(`At ${THROUGHPUT_RATE} prompts/s: added latency p50`, 'ms', (run) =>
      round(run.throughput.addedLatencyMs.p50),
    ),
    row(`At ${THROUGHPUT_RATE} prompts/s: added latency p99`, 'ms', (run) =>
      round(run.throughput.addedLatencyMs.p99),
    ),
    row(`At ${THROUGHPUT_RATE} prompts/s: POST …/message latency p99`, 'ms', (run) =>
      round(run.throughput.offered.latencyMs.p99),
    ),
    row(`At ${THROUGHPUT_RATE} prompts/s: api + worker CPU`, 'cores', (run) =>
      round(run.throughput.apiCpuCores + run.throughput.workerCpuCores, 2),
    ),
    row(
      `At ${LATENCY_RATE} prompts/s: added latency p50 (prompt stored → reply completed)`,
      'ms',
      (run) => round(run.latency.addedLatencyMs.p50),
      { target: { comparison: '<=', value: 15 }, note: `fixed rate ${load}` },
    ),
    row(
      `At ${LATENCY_RATE} prompts/s: added latency p99`,
      'ms',
      (run) => round(run.latency.addedLatencyMs.p99),
      {
        target: { comparison: '<=', value: 60 },
      },
    ),
    row(`At ${LATENCY_RATE} prompts/s: POST …/message latency p50`, 'ms', (run) =>
      round(run.latency.offered.latencyMs.p50),
    ),
    row('Replies not completed (both windows)', 'replies', (run) => run.failedReplies, {
      target: { comparison: '<=', value: 0 },
    }),
    row('api CPU per accepted prompt', 'ms', (run) => run.throughput.apiCpuMsPerPrompt),
    row('worker CPU per completed reply', 'ms', (run) => run.throughput.workerCpuMsPerReply),
    row('Load generator + fake Gemini CPU', 'cores', (run) => run.throughput.self.cpuCores),
    ...(runs.every((run) => run.saturation)
      ? [
          row(
            'Saturation: max completed replies',
            'replies/s',
            (run) => run.saturation?.completedPerSecond ?? NaN,
            {
              note: `closed loop, ${SATURATION_CONCURRENCY} concurrent POSTs`,
            },
          ),
        ]
      : []),
  ];
}

export const pipelineScenario: Scenario<PipelineRun> = {
  id: 'pipeline',
  title: '2. Message pipeline, instant Gemini',
  runs: BENCH_RUNS,
  runOnce,
  rows,
};
