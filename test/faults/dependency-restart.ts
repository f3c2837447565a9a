import { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnApi, SpawnedApi } from '../support/api';
import { eventually } from '../support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from '../support/stack';
import { spawnWorker } from '../support/worker';
import { expectNothingLostOrShared, Tenant } from './invariants';
import { SEND_PROMPT, startPromptLoad } from './prompt-load';
import { describeOutage, expectSuccessOrQuick503, sleep, TrafficLog } from './traffic';

const OUTAGE_MS = 10_000;
/** Where each suite leaves its api and worker logs, to read after a failure. */
const RESULTS = join(__dirname, '../../test-results');

/** A private PostgreSQL or Redis server that a test may stop and start again on the same port. */
export interface RestartableServer {
  readonly url: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Stops it for good and removes what it left behind. */
  dispose(): Promise<void>;
}

export interface DependencyRestartCase {
  /** How logs and test names call it: `PostgreSQL`, `Redis`. */
  name: string;
  title: string;
  start(): Promise<RestartableServer>;
  /** Points the stack at the private server. */
  stackSettings(server: RestartableServer): {
    env: Record<string, string>;
    options: Parameters<typeof startStack>[1];
  };
}

/**
 * The outage scenario shared by the PostgreSQL and Redis suites: real api and worker processes under a steady load
 * of prompts, the server stopped for 10 s and started again. Every answer must be a success or a quick 503, the apps
 * must recover without a restart, and every accepted prompt must end completed, once, visible to its owner only.
 */
export function describeDependencyRestart(testCase: DependencyRestartCase): void {
  describe(testCase.title, () => {
    let server: RestartableServer;
    let stack: Stack;
    let api: SpawnedApi | undefined;
    let worker: ChildProcess | undefined;

    beforeAll(async () => {
      server = await testCase.start();
      const { env, options } = testCase.stackSettings(server);
      stack = await startStack(
        {
          RATE_LIMIT_PER_MINUTE: '0',
          AUTH_RATE_LIMIT_PER_MINUTE: '1000',
          // The virtual users' X-Forwarded-For, as from a proxy on this machine, is their address.
          TRUST_PROXY: '127.0.0.1',
          WORKER_LOCK_DURATION_MS: '2000',
          RECONCILE_INTERVAL_SECONDS: '1',
          REPLY_STALE_AFTER_SECONDS: '5',
          GEMINI_TIMEOUT_MS: '4000',
          ...env,
        },
        { ...options, worker: false },
      );
      api = await spawnApi(stack.env, { captureOutput: true });
      worker = spawnWorker(stack.env);
      mkdirSync(RESULTS, { recursive: true });
      const workerLog = createWriteStream(join(RESULTS, `faults-${testCase.name}-worker.log`));
      worker.stdout?.pipe(workerLog);
      worker.stderr?.pipe(workerLog);
    }, STACK_TIMEOUT_MS);
    afterAll(async () => {
      worker?.kill('SIGKILL');
      if (api) writeFileSync(join(RESULTS, `faults-${testCase.name}-api.log`), api.output());
      try {
        await api?.stop();
        await server?.restart();
        await stack?.stop();
      } finally {
        await server?.dispose();
      }
    }, STACK_TIMEOUT_MS);

    it(`answers 503 quickly while ${testCase.name} is down, recovers by itself, and completes every accepted prompt`, async () => {
      const tenants = await Promise.all(Array.from({ length: 8 }, () => Tenant.signIn(api!.url)));
      await Promise.all(tenants.map((tenant) => tenant.createRoom()));
      // Slow answers, so that some replies are mid-generation when the server goes away.
      stack.gemini.script(
        ...Array.from({ length: 60 }, () => ({
          kind: 'answer' as const,
          chunks: ['a ', 'slow ', 'answer'],
          chunkDelayMs: 400,
        })),
      );
      const log = new TrafficLog();
      const load = startPromptLoad(api!.url, tenants, log);

      await sleep(3000);
      const downAt = Date.now();
      await server.stop();
      await sleep(OUTAGE_MS);
      await server.restart();
      const upAt = Date.now();
      await eventually(
        () =>
          Promise.resolve(
            log
              .between(upAt, Infinity)
              .some((sample) => sample.route === SEND_PROMPT && sample.status === 202) || undefined,
          ),
        30_000,
        200,
      );
      await sleep(2000);
      await load.stop();

      const duringOutage = log.between(downAt + 500, upAt);
      console.log(describeOutage(`${testCase.name} down`, duringOutage));
      expect(duringOutage.some((sample) => sample.route === SEND_PROMPT && sample.status === 503)).toBe(true);
      expectSuccessOrQuick503(log.samples, 5000);

      const statuses = await expectNothingLostOrShared(stack.database.query, tenants, 90_000);
      const unfinished = [...statuses].filter(([, status]) => status !== 'completed').map(([id]) => id);
      expect(
        await stack.database.query(
          'SELECT status, error_code, error_message FROM messages WHERE id = ANY($1::uuid[])',
          [unfinished],
        ),
      ).toEqual([]);
    }, 180_000);
  });
}
