import { AppName } from './app-process';

/** One line of the results table: a median over the runs, with the values of each run beside it. */
export interface ResultRow {
  metric: string;
  unit: string;
  value: number;
  runs: number[];
  target?: { comparison: '>=' | '<='; value: number };
  /** Context for the reader (the conditions a number was measured under). */
  note?: string;
}

export interface RunContext {
  runIndex: number;
  logDir: string;
  profile: AppName[];
}

export interface Scenario<RunResult = unknown> {
  id: string;
  title: string;
  /** How many times the scenario runs (BENCH_RUNS unless it repeats internally). */
  runs: number;
  runOnce(context: RunContext): Promise<RunResult>;
  rows(results: RunResult[]): ResultRow[];
}

export function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

export const BENCH_RUNS = Math.max(1, numberFromEnv('BENCH_RUNS', 3));

/** Scales every load window (1 = the documented durations); development runs use e.g. 0.3. */
export const DURATION_SCALE = numberFromEnv('BENCH_DURATION_SCALE', 1);

export const seconds = (full: number): number => Math.max(1, Math.round(full * DURATION_SCALE));
