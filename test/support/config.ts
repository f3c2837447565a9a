import { AppConfig, loadConfig } from '@app/config';
import { randomBytes } from 'node:crypto';

export const TEST_JWT_SECRET = 'e2e-secret-that-is-long-enough-for-hs256-0123456789';

/** A valid configuration for one suite: its own database and its own Redis key prefix. */
export function testConfig(databaseUrl: string, overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `t${randomBytes(5).toString('hex')}`,
    JWT_SECRET_KEY: TEST_JWT_SECRET,
    RATE_LIMIT_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    AUTH_FAILURE_LIMIT_PER_MINUTE: '1000000',
    WORKER_HEALTH_PORT: '0',
    // The suites provoke errors on purpose; set TEST_LOG_LEVEL=error to see the in-process apps' logs.
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...overrides,
  });
}
