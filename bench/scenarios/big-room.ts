import { FakeGemini } from '@app/stand-ins';
import { fillChatroom } from '../../test/faults/seed-chatroom';
import { productionHeapCapMb } from '../support/app-process';
import { HttpClient } from '../support/http';
import { waitForDrain } from '../support/replies';
import { BENCH_RUNS, numberFromEnv, ResultRow, RunContext, Scenario } from '../support/scenario';
import { BenchStack } from '../support/stack';
import { median, percentile, round } from '../support/stats';
import { createUser } from '../support/users';

const BIG_ROOMS = numberFromEnv('BENCH_BIG_ROOMS', 2);
const BIG_ROOM_EXCHANGES = 10_000;
const SMALL_ROOM_EXCHANGES = 50;
const MESSAGE_CHARS = 8000;
const CONCURRENT_PROMPTS = numberFromEnv('BENCH_BIG_ROOM_PROMPTS', 50);
/** Sequential prompts per room size whose context reads are timed (after as many unmeasured ones). */
const TIMED_READS = 20;
const MB = 1024 * 1024;

interface BigRoomRun {
  seedSeconds: number;
  idleRssMb: number;
  peakRssMb: number;
  completed: number;
  workerAlive: boolean;
  /** Context read (the worker's query, request to last row) p50/p90 in ms, by room size. */
  smallRoomReadMs: { p50: number; p90: number };
  bigRoomReadMs: { p50: number; p90: number };
}

async function runOnce(context: RunContext): Promise<BigRoomRun> {
  const gemini = new FakeGemini();
  await gemini.start();
  const stack = await BenchStack.create({
    label: `bigroom${context.runIndex}`,
    ...context,
    gemini,
    trace: ['worker'],
  });
  const api = new HttpClient(stack.apiUrl);
  let sampler: NodeJS.Timeout | undefined;
  try {
    await stack.startApp('api');
    const user = await createUser(api, 1, BIG_ROOMS + 1);
    const [smallRoom, ...bigRooms] = user.chatroomIds;
    const seeding = performance.now();
    const query = <T>(sql: string, params?: unknown[]) => stack.database.query<T>(sql, params);
    await fillChatroom(query, smallRoom, { exchanges: SMALL_ROOM_EXCHANGES, messageChars: MESSAGE_CHARS });
    for (const room of bigRooms) {
      await fillChatroom(query, room, { exchanges: BIG_ROOM_EXCHANGES, messageChars: MESSAGE_CHARS });
    }
    await query('ANALYZE messages');
    const seedSeconds = round((performance.now() - seeding) / 1000);

    await stack.startApp('worker');
    const worker = stack.app('worker');
    const prompt = async (chatroomId: string, content: string, wait: boolean): Promise<string> => {
      const response = await api.send<{ reply: { id: string } }>(
        'POST',
        `/chatroom/${chatroomId}/message${wait ? '?wait=30' : ''}`,
        { token: user.token, body: { content } },
      );
      if (response.status !== (wait ? 200 : 202)) throw new Error(`POST message answered ${response.status}`);
      return response.body.reply.id;
    };

    // Context reads one at a time, alternating room sizes, so each read is the worker's only work.
    const timeReads = async (measured: boolean): Promise<{ small: number[]; big: number[] }> => {
      if (measured) await worker.startTrace();
      for (let index = 0; index < TIMED_READS; index += 1) {
        await prompt(smallRoom, `small room question ${index}`, true);
        await prompt(bigRooms[index % bigRooms.length], `big room question ${index}`, true);
      }
      if (!measured) return { small: [], big: [] };
      const reads = (await worker.stopTrace())
        .filter((event) => event.kind === 'pg' && /^WITH RECURSIVE path AS/.test(event.label))
        .sort((a, b) => a.start - b.start)
        .map((event) => event.end - event.start);
      if (reads.length !== 2 * TIMED_READS) throw new Error(`traced ${reads.length} context reads`);
      return {
        small: reads.filter((_, index) => index % 2 === 0),
        big: reads.filter((_, index) => index % 2 === 1),
      };
    };
    await timeReads(false);
    const reads = await timeReads(true);

    const idleRss = worker.rssBytes() ?? 0;
    let peakRss = idleRss;
    sampler = setInterval(() => (peakRss = Math.max(peakRss, worker.rssBytes() ?? 0)), 20);
    const replyIds = await Promise.all(
      Array.from({ length: CONCURRENT_PROMPTS }, (_, index) =>
        prompt(bigRooms[index % bigRooms.length], `concurrent question ${index}`, false),
      ),
    );
    await waitForDrain(stack, 120_000);
    clearInterval(sampler);
    const [{ completed }] = await query<{ completed: string }>(
      `SELECT count(*) AS completed FROM messages WHERE id = ANY($1::uuid[]) AND status = 'completed'`,
      [replyIds],
    );
    const summary = (values: number[]) => ({
      p50: round(percentile(values, 50), 2),
      p90: round(percentile(values, 90), 2),
    });
    return {
      seedSeconds,
      idleRssMb: round(idleRss / MB),
      peakRssMb: round(peakRss / MB),
      completed: Number(completed),
      workerAlive: worker.running,
      smallRoomReadMs: summary(reads.small),
      bigRoomReadMs: summary(reads.big),
    };
  } finally {
    clearInterval(sampler);
    api.close();
    await stack.stop();
    await gemini.stop();
  }
}

function rows(runs: BigRoomRun[]): ResultRow[] {
  const row = (
    metric: string,
    unit: string,
    pick: (run: BigRoomRun) => number,
    extra: Partial<ResultRow> = {},
  ) => {
    const values = runs.map(pick);
    return { metric, unit, value: median(values), runs: values, ...extra };
  };
  const cap = productionHeapCapMb('worker');
  const bigMessages = 2 * BIG_ROOM_EXCHANGES;
  return [
    row('Worker RSS before the prompts', 'MB', (run) => run.idleRssMb, {
      note: `${BIG_ROOMS} rooms of ${bigMessages} messages × ${MESSAGE_CHARS} chars (seeded in ${runs.map((run) => run.seedSeconds).join(' / ')} s), one worker`,
    }),
    row(`Worker RSS, max during ${CONCURRENT_PROMPTS} concurrent prompts`, 'MB', (run) => run.peakRssMb, {
      ...(cap === undefined ? {} : { target: { comparison: '<=', value: cap } }),
      note: `/proc VmRSS every 20 ms; the target is the worker's heap cap (--max-old-space-size=${cap ?? 'none'})`,
    }),
    row('Replies completed, worker alive', 'replies', (run) => (run.workerAlive ? run.completed : 0), {
      target: { comparison: '>=', value: CONCURRENT_PROMPTS },
    }),
    row(
      `Context read, ${2 * SMALL_ROOM_EXCHANGES}-message room, p50`,
      'ms',
      (run) => run.smallRoomReadMs.p50,
      {
        note: `the worker's query, sent → last row; ${TIMED_READS} sequential prompts per room size; p90 ${runs.map((run) => run.smallRoomReadMs.p90).join(' / ')} ms`,
      },
    ),
    row(`Context read, ${bigMessages}-message room, p50`, 'ms', (run) => run.bigRoomReadMs.p50, {
      note: `p90 ${runs.map((run) => run.bigRoomReadMs.p90).join(' / ')} ms`,
    }),
    row(
      `Context read, ${bigMessages} / ${2 * SMALL_ROOM_EXCHANGES} messages (p50s)`,
      'ratio',
      (run) => round(run.bigRoomReadMs.p50 / run.smallRoomReadMs.p50, 2),
      { target: { comparison: '<=', value: 2 } },
    ),
  ];
}

export const bigRoomScenario: Scenario<BigRoomRun> = {
  id: 'big-room',
  title: '7. Big rooms: worker memory and context reads',
  runs: BENCH_RUNS,
  runOnce,
  rows,
};
