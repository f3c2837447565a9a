import { randomBytes } from 'node:crypto';
import { freePort } from '../../test/support/free-port';
import { flushPrefix } from '../../test/support/redis';
import { AppName, AppProcess, logFileFor } from './app-process';
import { BenchDatabase, createDatabase } from './database';
import { waitForOk } from './http';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Bearer token of the worker's /metrics endpoint in every benchmark stack. */
export const METRICS_TOKEN = 'bench-metrics-token-0123456789abcdef';

/**
 * Production settings, except where a benchmark needs otherwise: each change from `.env.example`'s defaults is
 * listed, with its reason, in docs/benchmarks.md ("Settings").
 */
const BENCH_SETTINGS: Record<string, string> = {
  NODE_ENV: 'production',
  OTP_IN_RESPONSE: 'true',
  RATE_LIMIT_PER_MINUTE: '0',
  DATABASE_POOL_SIZE: '20',
  AUTH_RATE_LIMIT_PER_MINUTE: '1000',
  OTP_IP_HOURLY_LIMIT: '1000000',
  BASIC_DAILY_LIMIT: '1000000',
  BASIC_MONTHLY_TOKENS: '0',
  METRICS_TOKEN,
};

export interface StackOptions {
  /** Names the database, the Redis prefix and the log files. */
  label: string;
  logDir: string;
  gemini: { url: string; key: string };
  /** Scenario-specific settings on top of BENCH_SETTINGS. */
  env?: Record<string, string>;
  /** Load the IPC probe into these apps (event-loop delay without /metrics). */
  probe?: AppName[];
  /** Apps to run under --cpu-prof (BENCH_CPU_PROF=api,worker). */
  profile?: AppName[];
  /** Load the hop tracer into these apps (AppProcess.startTrace). */
  trace?: AppName[];
}

/**
 * The built api and worker as separate processes, on a fresh database (created and migrated here) and a Redis
 * prefix of their own, talking to a Gemini fake; `stop` ends both and drops everything.
 */
export class BenchStack {
  private readonly processes = new Map<AppName, AppProcess>();

  private constructor(
    readonly options: StackOptions,
    readonly database: BenchDatabase,
    readonly env: Record<string, string>,
  ) {}

  static async create(options: StackOptions): Promise<BenchStack> {
    const database = await createDatabase(options.label);
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...BENCH_SETTINGS,
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_PREFIX: `bench_${options.label.replace(/\W/g, '_')}_${randomBytes(2).toString('hex')}`.slice(
        0,
        32,
      ),
      JWT_SECRET_KEY: randomBytes(48).toString('base64'),
      PORT: String(await freePort()),
      WORKER_HEALTH_PORT: String(await freePort()),
      GEMINI_API_KEY: options.gemini.key,
      GEMINI_BASE_URL: options.gemini.url,
      ...options.env,
    };
    await database.migrate(env);
    return new BenchStack(options, database, env);
  }

  /** Creates the stack and starts both apps, resolving once each answers its readiness check. */
  static async start(options: StackOptions): Promise<BenchStack> {
    const stack = await BenchStack.create(options);
    try {
      await Promise.all([stack.startApp('api'), stack.startApp('worker')]);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.env.PORT}`;
  }

  get workerUrl(): string {
    return `http://127.0.0.1:${this.env.WORKER_HEALTH_PORT}`;
  }

  readyUrl(app: AppName): string {
    return `${app === 'api' ? this.apiUrl : this.workerUrl}/health/ready`;
  }

  app(name: AppName): AppProcess {
    const app = this.processes.get(name);
    if (!app) throw new Error(`${name} is not running`);
    return app;
  }

  /** Spawns one app and waits for its readiness check; resolves with the milliseconds from spawn to ready. */
  async startApp(name: AppName, timeoutMs = 30_000): Promise<number> {
    const { label, logDir, probe = [], profile = [], trace = [] } = this.options;
    const app = AppProcess.spawn(name, {
      env: this.env,
      logFile: logFileFor(logDir, label, name),
      probe: probe.includes(name),
      profileName: profile.includes(name) ? `${label}-${name}` : undefined,
      trace: trace.includes(name),
    });
    this.processes.set(name, app);
    const readyAt = await waitForOk(this.readyUrl(name), timeoutMs, 10);
    return readyAt - app.spawnedAt;
  }

  async stopApp(name: AppName): Promise<void> {
    await this.processes.get(name)?.stop();
    this.processes.delete(name);
  }

  async stop(): Promise<void> {
    // The worker first: it finishes its in-flight jobs while the api and the fake are still there.
    await this.stopApp('worker');
    await this.stopApp('api');
    await flushPrefix(this.env.REDIS_PREFIX, REDIS_URL);
    await this.database.drop();
  }
}
