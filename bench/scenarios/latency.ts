import { FakeGemini } from '@app/stand-ins';
import { availableParallelism, loadavg } from 'node:os';
import { TraceEvent } from '../support/hop-trace';
import { HttpClient, sleep } from '../support/http';
import { BENCH_RUNS, numberFromEnv, ResultRow, RunContext, Scenario } from '../support/scenario';
import { BenchStack } from '../support/stack';
import { distribution, Distribution, median, percentile, round } from '../support/stats';
import { createUser } from '../support/users';

const ROUNDS = numberFromEnv('BENCH_LATENCY_ROUNDS', 300);
const TRACED = numberFromEnv('BENCH_LATENCY_TRACED', 100);
const WARMUP_ROUNDS = 50;
const CHATROOMS = 4;
/** Quiet time after each request (and its reply), before the next one. */
const PAUSE_MS = 20;

const now = (): number => performance.timeOrigin + performance.now();

interface Sample {
  sentAt: number;
  receivedAt: number;
}

interface LatencyRun {
  healthMs: Distribution;
  postMs: Distribution;
  waitMs: Distribution;
  /** Each hop of the queue path over the traced requests, in path order. */
  hops: { hop: string; p50: number; p90: number; count: number }[];
  /** The machine's 1-minute load average after the measured rounds: the targets are for an idle machine. */
  loadAverage: number;
  /** One traced request, every recorded step, relative to the moment the client sent it (ms). */
  example: string[];
}

interface Answer {
  status: number;
  /** The reply a POST created. */
  replyId?: string;
}

async function timed(
  send: () => Promise<Answer>,
  expected: number,
  what: string,
): Promise<Sample & { replyId?: string }> {
  const sentAt = now();
  const { status, replyId } = await send();
  const receivedAt = now();
  if (status !== expected) throw new Error(`${what} answered ${status}, expected ${expected}`);
  return { sentAt, receivedAt, replyId };
}

const ms = (sample: Sample): number => sample.receivedAt - sample.sentAt;

async function runOnce(context: RunContext): Promise<LatencyRun> {
  const gemini = new FakeGemini();
  await gemini.start();
  const stack = await BenchStack.start({
    label: `latency${context.runIndex}`,
    ...context,
    gemini,
    trace: ['api', 'worker'],
  });
  const api = new HttpClient(stack.apiUrl, 1);
  try {
    const user = await createUser(api, 1, CHATROOMS);
    let sent = 0;
    const post = (wait: boolean) => async (): Promise<Answer> => {
      const chatroomId = user.chatroomIds[sent % CHATROOMS];
      sent += 1;
      const response = await api.send<{ reply: { id: string } }>(
        'POST',
        `/chatroom/${chatroomId}/message${wait ? '?wait=10' : ''}`,
        { token: user.token, body: { content: `latency prompt ${sent}` } },
      );
      return { status: response.status, replyId: response.body.reply?.id };
    };
    const health = async (): Promise<Answer> => ({ status: (await api.send('GET', '/health')).status });
    // The next request starts once the previous one's reply is final: each request meets an idle stack.
    const settle = async ({ replyId }: { replyId?: string }): Promise<void> => {
      while (replyId && (await isOpen(stack, replyId))) await sleep(2);
      await sleep(PAUSE_MS);
    };
    const round = async (): Promise<Sample[]> => {
      const samples: Sample[] = [];
      for (const [send, status, what] of [
        [health, 200, 'GET /health'],
        [post(false), 202, 'POST …/message'],
        [post(true), 200, 'POST …/message?wait=10'],
      ] as const) {
        const sample = await timed(send, status, what);
        samples.push(sample);
        await settle(sample);
      }
      return samples;
    };

    for (let index = 0; index < WARMUP_ROUNDS; index += 1) await round();
    // A database in service has statistics (autovacuum's ANALYZE); a fresh one has none, and plans differ.
    await stack.database.query('ANALYZE');
    const [healthLatencies, postLatencies, waitLatencies]: number[][] = [[], [], []];
    for (let index = 0; index < ROUNDS; index += 1) {
      const [h, p, w] = await round();
      healthLatencies.push(ms(h));
      postLatencies.push(ms(p));
      waitLatencies.push(ms(w));
    }

    const [loadAverage] = loadavg();
    const apps = [stack.app('api'), stack.app('worker')];
    await Promise.all(apps.map((app) => app.startTrace()));
    const traced: Sample[] = [];
    for (let index = 0; index < TRACED; index += 1) {
      for (const [wait, status] of [
        [false, 202],
        [true, 200],
      ] as const) {
        const sample = await timed(post(wait), status, 'traced POST …/message');
        traced.push(sample);
        await settle(sample);
      }
    }
    const events = (await Promise.all(apps.map((app) => app.stopTrace()))).flat();
    const timelines = traced.map((sample, index) =>
      timeline(sample, events, traced[index + 1]?.sentAt ?? Number.POSITIVE_INFINITY),
    );
    const waits = timelines.filter((_, index) => index % 2 === 1);
    const posts = timelines.filter((_, index) => index % 2 === 0);
    return {
      healthMs: distribution(healthLatencies.map((value) => round2(value))),
      postMs: distribution(postLatencies.map((value) => round2(value))),
      waitMs: distribution(waitLatencies.map((value) => round2(value))),
      hops: hopBreakdown(waits, posts),
      loadAverage: round2(loadAverage),
      example: describe(waits[Math.floor(waits.length / 2)]),
    };
  } finally {
    api.close();
    await stack.stop();
    await gemini.stop();
  }
}

const round2 = (value: number): number => round(value, 2);

/** True while the reply is queued or generating. */
async function isOpen(stack: BenchStack, replyId: string): Promise<boolean> {
  const rows = await stack.database.query(
    `SELECT 1 FROM messages WHERE id = $1 AND status IN ('queued', 'generating')`,
    [replyId],
  );
  return rows.length > 0;
}

interface Timeline {
  sample: Sample;
  events: TraceEvent[];
}

/** The steps of one request: every event still running when it was sent, or started before the next one was. */
function timeline(sample: Sample, events: TraceEvent[], nextSentAt: number): Timeline {
  return {
    sample,
    events: events
      .filter((event) => event.end >= sample.sentAt && event.start < nextSentAt)
      .sort((a, b) => a.start - b.start),
  };
}

function describe({ sample, events }: Timeline): string[] {
  const at = (time: number): string => (time - sample.sentAt).toFixed(2).padStart(6);
  return [
    `${at(sample.sentAt)} client sends`,
    ...events.map(
      (event) =>
        `${at(Math.max(event.start, sample.sentAt))} → ${at(event.end)}  ${event.app.padEnd(6)} ${event.kind.padEnd(12)} ${event.label}`,
    ),
    `${at(sample.receivedAt)} client has the response`,
  ];
}

/** A point of the queue path: the moment it is reached and when its event started (the next search starts there). */
interface Point {
  at: number;
  from: number;
}

/** A point of the queue path, found in a request's timeline among the events that started after `after`. */
interface Milestone {
  /** The hop that ends at this point. */
  hop: string;
  at(timeline: Timeline, after: number): Point | undefined;
}

const first = (
  app: TraceEvent['app'],
  kind: TraceEvent['kind'],
  label: RegExp,
  edge: 'start' | 'end' = 'end',
): Milestone['at'] => {
  return ({ events }, after) => {
    const event = events.find(
      (candidate) =>
        candidate.app === app &&
        candidate.kind === kind &&
        label.test(candidate.label) &&
        candidate.start >= after,
    );
    return event && { at: event[edge], from: event.start };
  };
};

/** The api's response to the request: the HTTP event that started first, whatever happened since. */
const responded: Milestone['at'] = ({ events, sample }) => {
  const event = events.find((candidate) => candidate.app === 'api' && candidate.kind === 'http');
  return event && { at: event.end, from: sample.sentAt };
};

/** The queue path of one `?wait` request, in order; "plain POST" hops are measured on plain POSTs. */
const WAIT_PATH: Milestone[] = [
  { hop: 'client → api: request received', at: first('api', 'http', /^POST /, 'start') },
  { hop: 'api: JWT + session check (Redis)', at: first('api', 'redis', /^get session:/) },
  {
    hop: 'api: standing query (ownership, tier, limits, month account)',
    at: first('api', 'pg', /^SELECT users\.tier, overrides/),
  },
  { hop: 'api: stream lease + daily quota (Redis)', at: first('api', 'redis', /^eval quota/) },
  {
    hop: 'api: store prompt + reply, budget and ledger (one statement)',
    at: first('api', 'pg', /^WITH base AS/),
  },
  { hop: 'api: enqueue (BullMQ add)', at: first('api', 'redis', /addStandardJob/) },
  {
    hop: 'worker: pickup (wake-up, moveToActive, job start)',
    at: first('worker', 'pg', /^UPDATE messages AS reply/, 'start'),
  },
  { hop: 'worker: claim (UPDATE … RETURNING)', at: first('worker', 'pg', /^UPDATE messages AS reply/) },
  {
    hop: 'worker: open the stream (reset entry)',
    at: first('worker', 'pg', /^WITH RECURSIVE path AS/, 'start'),
  },
  { hop: 'worker: context read', at: first('worker', 'pg', /^WITH RECURSIVE path AS/) },
  { hop: 'worker: Gemini call (request, stand-in, body)', at: first('worker', 'fetch', /GenerateContent/) },
  {
    hop: 'worker: stream write (parse, delta entries)',
    at: first('worker', 'pg', /^WITH settled AS/, 'start'),
  },
  { hop: 'worker: store the completed reply', at: first('worker', 'pg', /^WITH settled AS/) },
  { hop: 'worker: final entry (XADD + PUBLISH)', at: first('worker', 'redis', /^evalsha reply-stream/) },
  { hop: 'api: notification, final read, response', at: responded },
];

/** Where the time of a plain POST goes after the job is enqueued (the cache invalidation runs beside the add). */
const POST_RESPONSE: Milestone = { hop: 'api: enqueued → response written (plain POST)', at: responded };

function hopsOf(timeline: Timeline, path: Milestone[]): Map<string, number> {
  const hops = new Map<string, number>();
  let previous: Point = { at: timeline.sample.sentAt, from: timeline.sample.sentAt };
  for (const milestone of path) {
    const point = milestone.at(timeline, previous.from);
    if (point === undefined) return hops;
    // Negative when the next step began before the previous one's reply arrived (the worker can start a job
    // before the api has read BullMQ's answer to its add).
    hops.set(milestone.hop, point.at - previous.at);
    previous = point;
  }
  hops.set('api → client: response received', timeline.sample.receivedAt - previous.at);
  return hops;
}

function hopBreakdown(waits: Timeline[], posts: Timeline[]): LatencyRun['hops'] {
  const waitHops = waits.map((timeline) => hopsOf(timeline, WAIT_PATH));
  const enqueued = WAIT_PATH.findIndex((milestone) => /enqueue/.test(milestone.hop));
  const postHops = posts.map((timeline) =>
    hopsOf(timeline, [...WAIT_PATH.slice(0, enqueued + 1), POST_RESPONSE]),
  );
  const names = [...WAIT_PATH.map((milestone) => milestone.hop), 'api → client: response received'];
  const summarize = (hop: string, all: Map<string, number>[]) => {
    const values = all.map((hops) => hops.get(hop)).filter((value): value is number => value !== undefined);
    const { p50, count } = distribution(values);
    return { hop, p50: round2(p50), p90: round2(percentile(values, 90)), count };
  };
  return [...names.map((hop) => summarize(hop, waitHops)), summarize(POST_RESPONSE.hop, postHops)];
}

function rows(runs: LatencyRun[]): ResultRow[] {
  const row = (
    metric: string,
    unit: string,
    pick: (run: LatencyRun) => number,
    extra: Partial<ResultRow> = {},
  ) => {
    const values = runs.map(pick);
    return { metric, unit, value: median(values), runs: values, ...extra };
  };
  return [
    row('GET /health p50', 'ms', (run) => run.healthMs.p50, {
      note: `${ROUNDS} rounds of GET /health, POST, POST ?wait=10, one at a time, each ${PAUSE_MS} ms after the previous reply was final; load average ${runs.map((run) => run.loadAverage).join(' / ')} on ${availableParallelism()} CPUs`,
    }),
    row('POST …/message p50', 'ms', (run) => run.postMs.p50),
    row('POST …/message?wait=10 p50 (instant Gemini)', 'ms', (run) => run.waitMs.p50),
    row('POST / health (p50s)', 'ratio', (run) => round2(run.postMs.p50 / run.healthMs.p50), {
      target: { comparison: '<=', value: 3 },
    }),
    row(
      '(wait − POST) / health (p50s)',
      'ratio',
      (run) => round2((run.waitMs.p50 - run.postMs.p50) / run.healthMs.p50),
      {
        target: { comparison: '<=', value: 3 },
      },
    ),
    ...runs[0].hops.map((first, index) =>
      row(
        `Hop ${String(index + 1).padStart(2, '0')}: ${first.hop}, p50`,
        'ms',
        (run) => run.hops[index].p50,
        {
          note: `p90 ${runs.map((run) => run.hops[index].p90).join(' / ')} ms; ${runs.map((run) => run.hops[index].count).join(' / ')} traced requests`,
        },
      ),
    ),
  ];
}

export const latencyScenario: Scenario<LatencyRun> = {
  id: 'latency',
  title: '6. Request latency and the queue path',
  runs: BENCH_RUNS,
  runOnce,
  rows,
};
