import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  requests: number;
  /** Responses other than 2xx or 3xx (wrk counts them apart). */
  non2xx: number;
  errors: number;
  durationSeconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export interface WrkRequest {
  method?: 'GET' | 'POST';
  /** One path, or several taken in turn. */
  paths: string[];
  headers?: Record<string, string>;
  body?: string;
}

const MS_PER_UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

function latencyMs(output: string, percentile: string): number {
  const match = new RegExp(`^\\s+${percentile}%\\s+([\\d.]+)(us|ms|s)$`, 'm').exec(output);
  return match ? Number(match[1]) * MS_PER_UNIT[match[2]] : Number.NaN;
}

/** wrk's output as numbers; throws when it is not what wrk 4 prints. */
export function parseWrk(output: string): WrkResult {
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)/m.exec(output);
  if (!total) throw new Error(`unexpected wrk output:\n${output}`);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const unit = total[3] === 'm' ? 60_000 : MS_PER_UNIT[total[3]];
  return {
    requests: Number(total[1]),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    errors: errors ? errors.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0,
    durationSeconds: (Number(total[2]) * unit) / 1000,
    latencyP50Ms: latencyMs(output, '50'),
    latencyP99Ms: latencyMs(output, '99'),
  };
}

const luaString = (text: string): string => JSON.stringify(text);

/** The request(s) as a wrk script: the method, headers and body, and the paths taken in turn. */
function script(request: WrkRequest): string {
  const headers = Object.entries(request.headers ?? {})
    .map(([name, value]) => `[${luaString(name)}] = ${luaString(value)}`)
    .join(', ');
  return [
    `local paths = { ${request.paths.map(luaString).join(', ')} }`,
    `local headers = { ${headers} }`,
    `local body = ${request.body === undefined ? 'nil' : luaString(request.body)}`,
    'local turn = 0',
    'request = function()',
    '  turn = turn % #paths + 1',
    `  return wrk.format(${luaString(request.method ?? 'GET')}, paths[turn], headers, body)`,
    'end',
  ].join('\n');
}

/**
 * A closed-loop load with wrk (C, two threads: it takes far less CPU per request than a load generator in Node, so
 * the fastest routes measure the server, not the client), keep-alive connections, latency percentiles.
 */
export function runWrk(options: {
  baseUrl: string;
  request: WrkRequest;
  connections: number;
  durationSeconds: number;
  scriptDir: string;
}): Promise<WrkResult> {
  const file = join(options.scriptDir, `wrk-${process.pid}-${Date.now()}.lua`);
  writeFileSync(file, script(options.request));
  const args = [
    '-t2',
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    '--latency',
    '-s',
    file,
    options.baseUrl,
  ];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, (error, stdout, stderr) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          missing
            ? new Error('wrk is not installed (apt-get install wrk)')
            : new Error(`${error.message}\n${stderr}`),
        );
        return;
      }
      try {
        resolve(parseWrk(stdout));
      } catch (parseError) {
        reject(parseError instanceof Error ? parseError : new Error(String(parseError)));
      }
    });
  });
}
