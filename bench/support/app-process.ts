import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOP_TRACE_PRELOAD, TraceEvent } from './hop-trace';
import { sleep } from './http';

export type AppName = 'api' | 'worker';

/** Where the built apps are: `dist` (what `npm run bench` builds), or another build's output directory. */
export const DIST = process.env.BENCH_DIST ?? 'dist';

const ENTRY: Record<AppName, string> = {
  api: `${DIST}/apps/api/src/main.js`,
  worker: `${DIST}/apps/worker/src/main.js`,
};

/** The node flags of `npm run start:<app>` (package.json is their one source), so each app runs as in production. */
const PRODUCTION_NODE_FLAGS: Record<AppName, string[]> = (() => {
  const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  const flagsOf = (script: string): string[] =>
    scripts[script].split(/\s+/).filter((word) => word.startsWith('--'));
  return { api: flagsOf('start:api'), worker: flagsOf('start:worker') };
})();

/** The V8 heap cap an app runs with in production (its --max-old-space-size), in MB; undefined when it has none. */
export function productionHeapCapMb(name: AppName): number | undefined {
  const cap = PRODUCTION_NODE_FLAGS[name]
    .map((flag) => /^--max-old-space-size=(\d+)$/.exec(flag)?.[1])
    .find((value) => value !== undefined);
  return cap === undefined ? undefined : Number(cap);
}

export const PROFILE_DIR = 'bench/results/profiles';

/**
 * Loaded with `--import` into an app only when a scenario needs it: it answers `event-loop-delay` and `memory`
 * (process.memoryUsage()) over the IPC channel, the fallback when the worker has no /metrics, and `exit` with a
 * normal exit, which is when
 * `--cpu-prof` writes its profile (a signal would kill the process before it does).
 */
const PROBE = `
import { monitorEventLoopDelay } from 'node:perf_hooks';
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.on('message', (message) => {
  if (message === 'exit') process.exit(0);
  if (message === 'memory') process.send({ memory: process.memoryUsage() });
  if (message === 'event-loop-delay') {
    process.send({ delay: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 } });
    delay.reset();
  }
});
process.channel?.unref();
`;

export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
}

export interface SpawnOptions {
  env: Record<string, string>;
  logFile: string;
  /** Loads the probe (IPC channel): needed for eventLoopDelay() and for --cpu-prof. */
  probe?: boolean;
  /** Writes a V8 CPU profile of the whole run to bench/results/profiles/<profileName>.cpuprofile. */
  profileName?: string;
  /** Loads the hop tracer (see hop-trace.ts), switched on and off with startTrace() and stopTrace(). */
  trace?: boolean;
}

/** One built app (`node dist/...`) run as its own process, its output appended to a log file. */
export class AppProcess {
  readonly spawnedAt = performance.now();
  private exited = false;

  private constructor(
    readonly name: AppName,
    private readonly child: ChildProcess,
    private readonly profiling: boolean,
  ) {
    child.once('exit', () => (this.exited = true));
  }

  static spawn(name: AppName, options: SpawnOptions): AppProcess {
    const flags: string[] = [...PRODUCTION_NODE_FLAGS[name]];
    const probed = Boolean(options.probe || options.profileName || options.trace);
    if (probed) flags.push(`--import=data:text/javascript,${encodeURIComponent(PROBE)}`);
    if (options.trace) flags.push(`--import=data:text/javascript,${encodeURIComponent(HOP_TRACE_PRELOAD)}`);
    if (options.profileName) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      flags.push(
        '--cpu-prof',
        `--cpu-prof-dir=${PROFILE_DIR}`,
        `--cpu-prof-name=${options.profileName}.cpuprofile`,
      );
    }
    const log = openSync(options.logFile, 'a');
    try {
      const child = spawn(process.execPath, [...flags, ENTRY[name]], {
        env: options.env,
        stdio: ['ignore', log, log, ...(probed ? ['ipc' as const] : [])],
      });
      return new AppProcess(name, child, options.profileName !== undefined);
    } finally {
      closeSync(log);
    }
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Resident set size from /proc/<pid>/status (VmRSS), in bytes; undefined once the process is gone. */
  rssBytes(): number | undefined {
    try {
      const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return match ? Number(match[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** User + system CPU time used so far, in seconds. */
  cpuSeconds(): number {
    return cpuSecondsOf(this.pid);
  }

  /** Event-loop delay since the previous call, from the probe. */
  async eventLoopDelay(): Promise<EventLoopDelay> {
    return (await this.ask<{ delay: EventLoopDelay }>('event-loop-delay', 'delay')).delay;
  }

  /** process.memoryUsage() of the app, from the probe. */
  async memoryUsage(): Promise<NodeJS.MemoryUsage> {
    return (await this.ask<{ memory: NodeJS.MemoryUsage }>('memory', 'memory')).memory;
  }

  /** Starts recording this app's HTTP requests, Gemini calls, PostgreSQL queries and Redis commands. */
  async startTrace(): Promise<void> {
    await this.ask<{ tracing: boolean }>('trace-start', 'tracing');
  }

  /** Stops recording; resolves with what was recorded since startTrace(). */
  async stopTrace(): Promise<TraceEvent[]> {
    const { trace } = await this.ask<{ trace: Omit<TraceEvent, 'app'>[] }>('trace-stop', 'trace', 10_000);
    return trace.map((event) => ({ ...event, app: this.name }));
  }

  private ask<T extends object>(question: string, answerKey: keyof T, timeoutMs = 2000): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: unknown): void => {
        if (typeof message !== 'object' || message === null || !(answerKey in message)) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(message as T);
      };
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        reject(new Error(`${this.name} probe did not answer ${question}`));
      }, timeoutMs);
      this.child.on('message', onMessage);
      this.child.send(question);
    });
  }

  /** SIGTERM (graceful, as an orchestrator stops it), or a normal exit when profiling; SIGKILL after the timeout. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.profiling) this.child.send('exit');
    else this.child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!stopped) {
      this.child.kill('SIGKILL');
      await exited;
    }
  }
}

/** User + system CPU time a process has used so far, in seconds, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat(5); the split above starts at field 3.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function logFileFor(logDir: string, label: string, app: AppName): string {
  mkdirSync(logDir, { recursive: true });
  return join(logDir, `${label}-${app}.log`);
}
