import { ChildProcess } from 'node:child_process';
import { eventually } from '../support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from '../support/stack';
import { spawnWorker } from '../support/worker';
import { expectNothingLostOrShared, FINAL_STATUSES, Tenant } from './invariants';

const PROMPTS = 100;
const USERS = 5;
const SLOW_ANSWER = ['this ', 'answer ', 'takes ', 'a ', 'good ', 'while'];

/** Stops a worker process and waits for it to be gone. */
async function kill(worker: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!worker || worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.kill(signal);
  await exited;
}

function startWorkerProcess(stack: Stack): ChildProcess {
  const worker = spawnWorker(stack.env);
  worker.stdout?.resume();
  worker.stderr?.resume();
  return worker;
}

describe('fault: the worker is killed with SIGKILL mid-generation', () => {
  let stack: Stack;
  let first: ChildProcess | undefined;
  let second: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await startStack(
      {
        WORKER_CONCURRENCY: String(PROMPTS),
        WORKER_LOCK_DURATION_MS: '2000',
        RECONCILE_INTERVAL_SECONDS: '1',
        REPLY_STALE_AFTER_SECONDS: '60',
      },
      { worker: false },
    );
  }, STACK_TIMEOUT_MS);
  afterAll(async () => {
    await kill(first, 'SIGKILL');
    await kill(second, 'SIGKILL');
    await stack?.stop();
  }, STACK_TIMEOUT_MS);

  it('completes all 100 in-flight replies exactly once after a restart', async () => {
    const tenants = await Promise.all(Array.from({ length: USERS }, () => Tenant.signIn(stack.api.url)));
    const rooms = await Promise.all(tenants.map((tenant) => tenant.createRoom()));
    stack.gemini.script(
      ...Array.from({ length: PROMPTS }, () => ({
        kind: 'answer' as const,
        chunks: SLOW_ANSWER,
        chunkDelayMs: 3000,
      })),
    );
    first = startWorkerProcess(stack);
    await Promise.all(
      tenants.map(async (tenant, index) => {
        for (let prompt = 0; prompt < PROMPTS / USERS; prompt++) {
          expect((await tenant.prompt(rooms[index], `prompt ${prompt}`)).status).toBe(202);
        }
      }),
    );
    await eventually(
      () => Promise.resolve(stack.gemini.requests.length >= PROMPTS || undefined),
      60_000,
      100,
    );
    await kill(first, 'SIGKILL');

    const [{ inFlight }] = await stack.database.query<{ inFlight: number }>(
      `SELECT count(*)::int AS "inFlight" FROM messages WHERE role = 'model' AND status::text <> ALL($1::text[])`,
      [FINAL_STATUSES],
    );
    expect(inFlight).toBe(PROMPTS);

    second = startWorkerProcess(stack);
    const statuses = await expectNothingLostOrShared(stack.database.query, tenants, 90_000);
    expect([...statuses.values()].every((status) => status === 'completed')).toBe(true);

    const replies = await stack.database.query<{ content: string }>(
      `SELECT content FROM messages WHERE role = 'model'`,
    );
    expect(replies).toHaveLength(PROMPTS);
    // The second generation of a reply starts its text over: one whole answer, never two glued together.
    for (const { content } of replies) expect(content).toMatch(/^You said: (?!.*You said: )/s);
    // Each interrupted reply was generated exactly once more.
    expect(stack.gemini.requests).toHaveLength(2 * PROMPTS);
  }, 150_000);
});
