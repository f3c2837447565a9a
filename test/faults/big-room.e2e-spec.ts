import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/free-port';
import { eventually } from '../support/http';
import { Stack, startStack } from '../support/stack';
import { FINAL_STATUSES, Tenant } from './invariants';
import { fillChatroom } from './seed-chatroom';

const ROOT = join(__dirname, '../..');
const EXCHANGES = 10_000;
const MESSAGE_CHARS = 8000;
const PROMPTS = 10;
const HISTORY_CHAR_BUDGET = 24_000;
const MB = 1024 * 1024;

/** The worker's heap cap in production: the --max-old-space-size of `npm run start:worker`. */
function productionWorkerFlags(): { flags: string[]; heapCapBytes: number } {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const flags = scripts['start:worker'].split(/\s+/).filter((word) => word.startsWith('--'));
  const cap = flags.map((flag) => /^--max-old-space-size=(\d+)$/.exec(flag)?.[1]).find(Boolean);
  if (!cap) throw new Error('npm run start:worker sets no --max-old-space-size');
  return { flags, heapCapBytes: Number(cap) * MB };
}

/** Resident set size from /proc/<pid>/status, in bytes; undefined once the process is gone. */
function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

describe('fault: concurrent prompts in a chatroom of 20,000 long messages', () => {
  const { flags, heapCapBytes } = productionWorkerFlags();
  let stack: Stack | undefined;
  let worker: ChildProcess | undefined;
  let workerUrl: string;

  beforeAll(async () => {
    stack = await startStack({ GEMINI_HISTORY_CHAR_BUDGET: String(HISTORY_CHAR_BUDGET) }, { worker: false });
    const port = await freePort();
    workerUrl = `http://127.0.0.1:${port}`;
    worker = spawn(process.execPath, [...flags, '-r', '@swc-node/register', 'apps/worker/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...stack.env, NODE_ENV: 'test', WORKER_HEALTH_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await eventually(
      () =>
        fetch(`${workerUrl}/health/ready`).then(
          (response) => (response.ok ? true : undefined),
          () => undefined,
        ),
      30_000,
      100,
    );
  }, 60_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((resolve) => worker!.once('exit', resolve));
      worker.kill('SIGKILL');
      await exited;
    }
    await stack?.stop();
  }, 60_000);

  it('answers every prompt with a budgeted context ending in its own prompt, the worker alive and under its heap cap', async () => {
    const tenant = await Tenant.signIn(stack!.api.url);
    const roomId = await tenant.createRoom();
    await fillChatroom(stack!.database.query, roomId, { exchanges: EXCHANGES, messageChars: MESSAGE_CHARS });
    const pid = worker!.pid!;

    let peakRss = rssBytes(pid) ?? 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(pid) ?? 0)), 20);
    try {
      const sent = await Promise.all(
        Array.from({ length: PROMPTS }, (_, index) => tenant.prompt(roomId, `big-room question ${index}`)),
      );
      expect(sent.map((response) => response.status)).toEqual(sent.map(() => 202));
      const replies = [...tenant.replies];
      const settled = await eventually(async () => {
        if (worker!.exitCode !== null || worker!.signalCode !== null) {
          throw new Error(`The worker died (exit ${worker!.exitCode}, signal ${worker!.signalCode})`);
        }
        const rows = await stack!.database.query<{ status: string }>(
          'SELECT status FROM messages WHERE id = ANY($1::uuid[])',
          [replies],
        );
        return rows.length === PROMPTS && rows.every((row) => FINAL_STATUSES.includes(row.status))
          ? rows
          : undefined;
      }, 40_000);
      expect(settled.map((row) => row.status)).toEqual(replies.map(() => 'completed'));
    } finally {
      clearInterval(sampler);
    }

    expect(worker!.exitCode).toBeNull();
    expect(worker!.signalCode).toBeNull();
    expect(peakRss).toBeGreaterThan(0);
    expect(peakRss).toBeLessThan(heapCapBytes);

    const requests = stack!.gemini.requests;
    expect(requests).toHaveLength(PROMPTS);
    const asked = requests.map((request) => request.body.contents.at(-1));
    expect(asked.map((turn) => turn?.parts.map((part) => part.text).join('')).sort()).toEqual(
      Array.from({ length: PROMPTS }, (_, index) => `${tenant.marker} big-room question ${index}`).sort(),
    );
    for (const { body } of requests) {
      const chars = body.contents
        .flatMap((turn) => turn.parts)
        .reduce((sum, part) => sum + part.text.length, 0);
      expect(body.contents.at(-1)?.role).toBe('user');
      // Some history was read: the newest stored exchange fits the budget beside the prompt.
      expect(body.contents.length).toBeGreaterThanOrEqual(3);
      expect(chars).toBeLessThanOrEqual(HISTORY_CHAR_BUDGET);
    }
    console.log(
      `Big room: ${2 * EXCHANGES} messages of ${MESSAGE_CHARS} chars, ${PROMPTS} concurrent prompts; ` +
        `worker peak RSS ${Math.round(peakRss / MB)} MB (heap cap ${heapCapBytes / MB} MB)`,
    );
  }, 60_000);
});
