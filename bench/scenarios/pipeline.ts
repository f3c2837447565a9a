import { FakeGemini } from '../../test/fakes/fake-gemini';
import { HttpClient, sleep } from '../support/http';
import { closedLoad, LoadResult, pacedLoad, Send, SelfUsage, watchSelf } from '../support/load';
import { BENCH_RUNS, numberFromEnv, ResultRow, RunContext, Scenario, seconds } from '../support/scenario';
import { BenchStack } from '../support/stack';
import { distribution, Distribution, median, round } from '../support/stats';
import { createUsers, targets } from '../support/users';
import { backlog, waitForDrain } from '../support/replies';

const RATE = numberFromEnv('BENCH_PIPELINE_RATE', 350);
const USERS = numberFromEnv('BENCH_PIPELINE_USERS', 100);
const CHATROOMS_PER_USER = 4;
const SATURATION_CONCURRENCY = numberFromEnv('BENCH_SATURATION_CONCURRENCY', 64);

interface PipelineRun {
  offered: LoadResult;
  /** Prompts sent in the window. */
  sent: number;
  /** Completed replies per second whose completion fell inside the load window. */
  completedPerSecond: number;
  /** Replies queued or generating, sampled each second during the window. */
  backlogSamples: number[];
  drainSeconds: number;
  failedReplies: number;
  /** reply.completed_at − prompt.created_at of every prompt sent in the window (ms). */
  addedLatencyMs: Distribution;
  saturation?: { offered: LoadResult; completedPerSecond: number };
  workerCpuCores: number;
  apiCpuCores: number;
  /** CPU time per accepted prompt and per completed reply: unlike rates, barely moved by other load on the machine. */
  apiCpuMsPerPrompt: number;
  workerCpuMsPerReply: number;
  self: SelfUsage;
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

async function runOnce(context: RunContext): Promise<PipelineRun> {
  const gemini = new FakeGemini();
  await gemini.start();
  const stack = await BenchStack.start({ label: `pipeline${context.runIndex}`, ...context, gemini });
  const api = new HttpClient(stack.apiUrl);
  let sampler: NodeJS.Timeout | undefined;
  try {
    const pairs = targets(await createUsers(api, USERS, CHATROOMS_PER_USER));
    const maxOutstanding = 512;
    await pacedLoad({
      ratePerSecond: RATE,
      durationSeconds: seconds(3),
      maxOutstanding,
      send: promptSender(api, pairs, 'warmup'),
    });
    await waitForDrain(stack, 60_000);

    const worker = stack.app('worker');
    const apiProcess = stack.app('api');
    const cpu = { worker: worker.cpuSeconds(), api: apiProcess.cpuSeconds() };
    const backlogSamples: number[] = [];
    sampler = setInterval(
      () =>
        void backlog(stack).then(
          (count) => backlogSamples.push(count),
          () => undefined,
        ),
      1000,
    );
    const self = watchSelf();
    const offered = await pacedLoad({
      ratePerSecond: RATE,
      durationSeconds: seconds(20),
      maxOutstanding,
      send: promptSender(api, pairs, 'measured'),
    });
    const selfUsage = self.stop();
    clearInterval(sampler);
    const windowSeconds = (offered.endedAt.getTime() - offered.startedAt.getTime()) / 1000;
    const workerCpuSeconds = worker.cpuSeconds() - cpu.worker;
    const apiCpuSeconds = apiProcess.cpuSeconds() - cpu.api;
    const drainStarted = performance.now();
    await waitForDrain(stack, 120_000);
    const drainSeconds = round((performance.now() - drainStarted) / 1000);

    const completed = await completedBetween(stack, offered.startedAt, offered.endedAt);
    const latencies = await stack.database.query<{ ms: number }>(
      `SELECT EXTRACT(EPOCH FROM (reply.completed_at - prompt.created_at)) * 1000 AS ms
         FROM messages reply JOIN messages prompt ON prompt.id = reply.reply_to_id
        WHERE reply.status = 'completed' AND prompt.created_at >= $1 AND prompt.created_at < $2`,
      [offered.startedAt, offered.endedAt],
    );
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
    const accepted = offered.statuses[202] ?? 0;
    return {
      offered,
      sent: Object.values(offered.statuses).reduce((sum, count) => sum + count, 0) + offered.errors,
      completedPerSecond: round(completed / windowSeconds),
      backlogSamples,
      drainSeconds,
      failedReplies: Number(failed.count),
      addedLatencyMs: distribution(latencies.map((row) => Number(row.ms))),
      saturation,
      workerCpuCores: round(workerCpuSeconds / windowSeconds, 2),
      apiCpuCores: round(apiCpuSeconds / windowSeconds, 2),
      apiCpuMsPerPrompt: round((apiCpuSeconds * 1000) / accepted, 2),
      workerCpuMsPerReply: round((workerCpuSeconds * 1000) / completed, 2),
      self: selfUsage,
    };
  } finally {
    clearInterval(sampler);
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
  const maxBacklog = (run: PipelineRun) => Math.max(0, ...run.backlogSamples);
  return [
    row('Prompts sent', 'req/s', (run) => run.offered.sentPerSecond, {
      note: `fixed rate ${RATE}/s for ${seconds(20)} s over ${USERS} users × ${CHATROOMS_PER_USER} chatrooms`,
    }),
    row('Prompts accepted (202)', '%', (run) => round((100 * (run.offered.statuses[202] ?? 0)) / run.sent)),
    row('POST …/message latency p50', 'ms', (run) => round(run.offered.latencyMs.p50)),
    row('POST …/message latency p99', 'ms', (run) => round(run.offered.latencyMs.p99)),
    row('Sustained completed replies', 'replies/s', (run) => run.completedPerSecond, {
      target: { comparison: '>=', value: 300 },
      note: 'one worker process, WORKER_CONCURRENCY 50',
    }),
    row('Backlog (queued + generating), max sampled', 'replies', maxBacklog, {
      note: 'sampled every second; a flat backlog means the worker keeps up',
    }),
    row('Drain time after the window', 's', (run) => run.drainSeconds),
    row('Added latency p50 (prompt stored → reply completed)', 'ms', (run) => round(run.addedLatencyMs.p50), {
      target: { comparison: '<=', value: 15 },
    }),
    row('Added latency p99', 'ms', (run) => round(run.addedLatencyMs.p99), {
      target: { comparison: '<=', value: 60 },
    }),
    row('Replies not completed', 'replies', (run) => run.failedReplies, {
      target: { comparison: '<=', value: 0 },
    }),
    row('api CPU per accepted prompt', 'ms', (run) => run.apiCpuMsPerPrompt),
    row('worker CPU per completed reply', 'ms', (run) => run.workerCpuMsPerReply),
    row('worker CPU during the window', 'cores', (run) => run.workerCpuCores),
    row('api CPU during the window', 'cores', (run) => run.apiCpuCores),
    row('Load generator + fake Gemini CPU', 'cores', (run) => run.self.cpuCores),
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
