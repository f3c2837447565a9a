import { AppConfig } from '@app/config';
import { INestApplicationContext } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createWorkerApp } from '../../apps/worker/src/worker.factory';

/** Starts the real worker app in this process. */
export async function startWorker(config: AppConfig): Promise<INestApplicationContext> {
  const app = await createWorkerApp(config);
  await app.init();
  return app;
}

/** Starts the real worker as its own process (for kill tests), with the suite's environment. */
export function spawnWorker(env: Record<string, string>): ChildProcess {
  const root = join(__dirname, '../..');
  return spawn(process.execPath, ['-r', '@swc-node/register', 'apps/worker/src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
