import { AppConfig } from '@app/config';
import { INestApplicationContext } from '@nestjs/common';
import { FakeGemini } from '@app/stand-ins';
import { RunningApi, SPAWN_TIMEOUT_MS, startApi } from './api';
import { testConfig } from './config';
import { createTestDatabase, TestDatabase } from './database';
import { flushPrefix } from './redis';
import { startWorker } from './worker';

/**
 * What a hook or test that starts (or stops) a stack allows itself: the api and worker boot in a few seconds on an
 * idle machine, but CI shares two cores with other suites, and a spawned api alone may take SPAWN_TIMEOUT_MS.
 */
export const STACK_TIMEOUT_MS = 2 * SPAWN_TIMEOUT_MS;

export interface Stack {
  database: TestDatabase;
  gemini: FakeGemini;
  config: AppConfig;
  env: Record<string, string>;
  api: RunningApi;
  worker?: INestApplicationContext;
  stop(): Promise<void>;
}

/**
 * The real api and worker against a fresh database, a private Redis prefix and a fake Gemini. The database is on
 * the shared server unless `databaseServerUrl` names another; the Redis is the shared one unless `REDIS_URL` is
 * overridden.
 */
export async function startStack(
  overrides: Record<string, string> = {},
  options: { worker?: boolean; databaseServerUrl?: string } = {},
): Promise<Stack> {
  const database = await createTestDatabase(options.databaseServerUrl);
  const gemini = new FakeGemini();
  let api: RunningApi | undefined;
  let worker: INestApplicationContext | undefined;
  let config: AppConfig | undefined;
  const stop = async (): Promise<void> => {
    await worker?.close();
    await api?.close();
    await gemini.stop();
    if (config) await flushPrefix(config.redis.prefix, config.redis.url);
    await database.drop();
  };
  try {
    await gemini.start();
    const env = {
      GEMINI_API_KEY: gemini.key,
      GEMINI_BASE_URL: gemini.url,
      GEMINI_RETRY_BASE_DELAY_MS: '50',
      GEMINI_TIMEOUT_MS: '5000',
      BASIC_DAILY_LIMIT: '1000',
      OTP_IP_HOURLY_LIMIT: '100000',
      // A title request is a Gemini call of its own: suites that count calls turn titles on where they test them.
      CHATROOM_AUTO_TITLES: 'false',
      ...overrides,
    };
    config = testConfig(database.url, env);
    const fullEnv = {
      ...env,
      DATABASE_URL: database.url,
      REDIS_URL: config.redis.url,
      REDIS_PREFIX: config.redis.prefix,
      JWT_SECRET_KEY: config.auth.jwtSecret,
      WORKER_HEALTH_PORT: '0',
    };
    api = await startApi(config);
    if (options.worker !== false) worker = await startWorker(config);
    return { database, gemini, config, env: fullEnv, api, worker, stop };
  } catch (error) {
    // A half-started stack is taken down here: the suite's afterAll has no stack to stop.
    await stop().catch(() => undefined);
    throw error;
  }
}
