import { request } from 'node:http';
import { FakeGemini } from '@app/stand-ins';
import { HttpClient } from '../support/http';
import { BENCH_RUNS, numberFromEnv, ResultRow, RunContext, Scenario } from '../support/scenario';
import { BenchStack } from '../support/stack';
import { distribution, Distribution, median, round } from '../support/stats';
import { createUser } from '../support/users';

const PROMPTS = numberFromEnv('BENCH_STREAM_PROMPTS', 100);
const PARALLEL = 4;
const FIRST_CHUNK_DELAY_MS = 300;

const now = (): number => performance.timeOrigin + performance.now();

interface StreamingRun {
  /** Client's first `delta` event − the fake's first chunk written (ms). */
  overheadMs: Distribution;
  /** Streams whose SSE response started after the fake had written the first chunk (excluded). */
  late: number;
}

/** Opens the reply's SSE stream; resolves when it ends, with when it opened and when the first delta arrived. */
function readStream(url: string, token: string): Promise<{ openedAt: number; firstDeltaAt?: number }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    });
    outgoing.setTimeout(30_000, () => outgoing.destroy(new Error('stream timed out')));
    outgoing.on('error', reject);
    outgoing.on('response', (response) => {
      const openedAt = now();
      let firstDeltaAt: number | undefined;
      let buffered = '';
      if (response.statusCode !== 200) reject(new Error(`stream answered ${response.statusCode}`));
      response.setEncoding('utf8');
      response.on('data', (text: string) => {
        const at = now();
        buffered += text;
        if (firstDeltaAt === undefined && /^event: delta$/m.test(buffered)) firstDeltaAt = at;
        if (/^event: final$/m.test(buffered)) {
          response.destroy();
          resolve({ openedAt, firstDeltaAt });
        }
      });
      response.on('end', () => resolve({ openedAt, firstDeltaAt }));
    });
    outgoing.end();
  });
}

async function runOnce(context: RunContext): Promise<StreamingRun> {
  const firstChunkAt = new Map<string, number>();
  const gemini = new FakeGemini(
    undefined,
    () => ({ kind: 'answer', chunks: ['first ', 'second'], firstChunkDelayMs: FIRST_CHUNK_DELAY_MS }),
    {
      onChunkWritten: ({ prompt, index, writtenAt }) => {
        if (index === 0) firstChunkAt.set(prompt, writtenAt);
      },
    },
  );
  await gemini.start();
  const stack = await BenchStack.start({ label: `stream${context.runIndex}`, ...context, gemini });
  const api = new HttpClient(stack.apiUrl);
  try {
    const user = await createUser(api, 1, PARALLEL);
    const overheads: number[] = [];
    let late = 0;
    const streamOne = async (chatroomId: string, prompt: string, measured: boolean): Promise<void> => {
      const sent = await api.send<{ reply: { id: string } }>('POST', `/chatroom/${chatroomId}/message`, {
        token: user.token,
        body: { content: prompt },
      });
      if (sent.status !== 202) throw new Error(`POST message answered ${sent.status}`);
      const { openedAt, firstDeltaAt } = await readStream(
        `${stack.apiUrl}/chatroom/${chatroomId}/message/${sent.body.reply.id}/stream`,
        user.token,
      );
      const writtenAt = firstChunkAt.get(prompt);
      if (firstDeltaAt === undefined || writtenAt === undefined) throw new Error(`no delta for "${prompt}"`);
      if (!measured) return;
      if (openedAt > writtenAt) late += 1;
      else overheads.push(firstDeltaAt - writtenAt);
    };
    const lane = async (lane: number, count: number, measured: boolean): Promise<void> => {
      for (let index = lane; index < count; index += PARALLEL) {
        await streamOne(user.chatroomIds[lane], `${measured ? 'stream' : 'warmup'} ${index}`, measured);
      }
    };
    const lanes = (count: number, measured: boolean) =>
      Promise.all(Array.from({ length: PARALLEL }, (_, index) => lane(index, count, measured)));
    await lanes(PARALLEL * 3, false);
    await lanes(PROMPTS, true);
    return { overheadMs: distribution(overheads.map((value) => round(value, 2))), late };
  } finally {
    api.close();
    await stack.stop();
    await gemini.stop();
  }
}

function rows(runs: StreamingRun[]): ResultRow[] {
  const row = (metric: string, pick: (run: StreamingRun) => number, extra: Partial<ResultRow> = {}) => {
    const values = runs.map(pick);
    return { metric, unit: 'ms', value: median(values), runs: values, ...extra };
  };
  return [
    row('First SSE delta at the client − first chunk written by the fake, p50', (run) => run.overheadMs.p50, {
      target: { comparison: '<=', value: 10 },
      note: `${PROMPTS} prompts, ${PARALLEL} at a time; first chunk after ${FIRST_CHUNK_DELAY_MS} ms`,
    }),
    row('First SSE delta − first chunk, p99', (run) => run.overheadMs.p99, {
      note: `late streams excluded: ${runs.map((run) => run.late).join('/')}`,
    }),
  ];
}

export const streamingScenario: Scenario<StreamingRun> = {
  id: 'streaming',
  title: '4. Streaming overhead',
  runs: BENCH_RUNS,
  runOnce,
  rows,
};
