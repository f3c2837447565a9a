import { AppConfig } from '@app/config';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApp } from '../../apps/api/src/app.factory';
import { freePort } from './free-port';

export interface RunningApi {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/** Starts the real api on an ephemeral loopback port. */
export async function startApi(config: AppConfig): Promise<RunningApi> {
  const app = await createApiApp({ config });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** How long a spawned api may take to answer: a few seconds when idle, far more on two busy cores. */
export const SPAWN_TIMEOUT_MS = 90_000;

export interface SpawnedApi {
  url: string;
  /** What the process wrote to stdout and stderr so far; empty unless spawned with `captureOutput`. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the real api as its own process (main.ts), on a free port, and waits until it answers. With
 * `captureOutput` its stdout and stderr (the logs) are kept for the test instead of being dropped or shown.
 */
export async function spawnApi(
  env: Record<string, string>,
  options: { captureOutput?: boolean } = {},
): Promise<SpawnedApi> {
  const { spawn } = await import('node:child_process');
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/main.ts'], {
    cwd: `${__dirname}/../..`,
    env: { ...process.env, ...env, NODE_ENV: 'test', PORT: String(port) },
    stdio: options.captureOutput ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'ignore', 'inherit'],
  });
  const output: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + SPAWN_TIMEOUT_MS;
  for (;;) {
    if (
      await fetch(`${url}/health`).then(
        (response) => response.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(
        `The api process did not answer within ${SPAWN_TIMEOUT_MS} ms (exit code ${child.exitCode})\n${Buffer.concat(output).toString('utf8').slice(-2000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    output: () => Buffer.concat(output).toString('utf8'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
