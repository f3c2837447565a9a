import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import Redis from 'ioredis';
import * as prettier from 'prettier';
import { serverVersion } from './database';
import { ResultRow } from './scenario';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  postgres: string;
  redis: string;
}

export interface ScenarioReport {
  id: string;
  title: string;
  rows: ResultRow[];
  error?: string;
}

export async function describeMachine(): Promise<Machine> {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const redis = new Redis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const info = await redis.info('server').finally(() => redis.disconnect());
  return {
    cpus: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    postgres: await serverVersion(),
    redis: /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown',
  };
}

const format = (value: number): string => {
  if (!Number.isFinite(value)) return '—';
  return Math.abs(value) >= 100 ? String(Math.round(value)) : String(Math.round(value * 100) / 100);
};

function verdict(row: ResultRow): string {
  if (!row.target) return '';
  const met = row.target.comparison === '>=' ? row.value >= row.target.value : row.value <= row.target.value;
  return met ? '✅ met' : '❌ missed';
}

export function resultsMarkdown(options: {
  date: Date;
  machine: Machine;
  command: string;
  runs: number;
  reports: ScenarioReport[];
}): string {
  const { machine } = options;
  const lines = [
    `Run on ${options.date.toISOString().replace(/\.\d+Z$/, 'Z')} with \`${options.command}\` ` +
      `(BENCH_RUNS=${options.runs}; medians of the runs, each run's value in "Runs").`,
    '',
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, Node ${machine.node}, ` +
      `PostgreSQL ${machine.postgres}, Redis ${machine.redis}; load generator, fake Gemini, api, worker, ` +
      'PostgreSQL and Redis all on this machine, over loopback.',
    '',
    '| Scenario | Metric | Median | Unit | Runs | Target | Result | Conditions |',
    '| --- | --- | ---: | --- | --- | --- | --- | --- |',
  ];
  for (const report of options.reports) {
    if (report.error) {
      const reason = report.error.split('\n')[0].replace(/\|/g, '\\|');
      lines.push(`| ${report.title} | **failed**: ${reason} | | | | | | |`);
      continue;
    }
    for (const row of report.rows) {
      const target = row.target ? `${row.target.comparison} ${row.target.value}` : '';
      lines.push(
        `| ${report.title} | ${row.metric} | ${format(row.value)} | ${row.unit} | ${row.runs.map(format).join(' / ')} ` +
          `| ${target} | ${verdict(row)} | ${row.note ?? ''} |`,
      );
    }
  }
  return lines.join('\n');
}

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

/**
 * Replaces what lies between the results markers of the document, the prose around them left alone, and formats it
 * with the repository's Prettier settings so `npm run lint` stays clean.
 */
export async function writeResultsInto(path: string, markdown: string): Promise<void> {
  const document = readFileSync(path, 'utf8');
  const start = document.indexOf(START);
  const end = document.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${path} has no ${START} … ${END} section`);
  const updated = `${document.slice(0, start + START.length)}\n${markdown}\n${document.slice(end)}`;
  const options = await prettier.resolveConfig(path);
  writeFileSync(path, await prettier.format(updated, { ...options, filepath: path }));
}
