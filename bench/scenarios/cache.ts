import autocannon from 'autocannon';
import { FakeGemini } from '@app/stand-ins';
import { HttpClient } from '../support/http';
import { SelfUsage, watchSelf } from '../support/load';
import { BENCH_RUNS, ResultRow, RunContext, Scenario, numberFromEnv, seconds } from '../support/scenario';
import { BenchStack } from '../support/stack';
import { median, round } from '../support/stats';
import { createUser } from '../support/users';

const CHATROOMS = 20;
const CONNECTIONS = numberFromEnv('BENCH_CACHE_CONNECTIONS', 32);

interface RouteLoad {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  /** X-Cache values seen on the responses (GET /chatroom only). */
  xCache: Record<string, number>;
  /** CPU of the api per second of wall time (1 = one core). */
  apiCpuCores: number;
  /** api CPU time per answered request: unlike throughput, barely moved by other load on the machine. */
  apiCpuMicrosPerRequest: number;
  self: SelfUsage;
}

interface CacheRun {
  trivial: RouteLoad;
  hit: RouteLoad;
  miss: RouteLoad;
  hitToTrivial: number;
  missToTrivial: number;
}

async function load(
  stack: BenchStack,
  path: string,
  headers: Record<string, string>,
  durationSeconds: number,
): Promise<RouteLoad> {
  const xCache: Record<string, number> = {};
  const api = stack.app('api');
  const cpuBefore = api.cpuSeconds();
  const self = watchSelf();
  const result = await autocannon({
    url: stack.apiUrl,
    connections: CONNECTIONS,
    duration: durationSeconds,
    requests: [
      {
        method: 'GET',
        path,
        headers,
        onResponse: (_status, _body, _context, responseHeaders) => {
          const value = responseHeaders['x-cache'];
          if (value) xCache[value] = (xCache[value] ?? 0) + 1;
        },
      },
    ],
  });
  return {
    requestsPerSecond: round(result['2xx'] / result.duration),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    xCache,
    apiCpuCores: round((api.cpuSeconds() - cpuBefore) / result.duration, 2),
    apiCpuMicrosPerRequest: Math.round(((api.cpuSeconds() - cpuBefore) * 1e6) / result['2xx']),
    self: self.stop(),
  };
}

/** Checks on one response that the header asks for what the run means to measure. */
async function expectXCache(
  api: HttpClient,
  token: string,
  headers: Record<string, string>,
  expected: string,
) {
  const response = await api.send<{ items: unknown[] }>('GET', '/chatroom', { token, headers });
  const actual = response.headers['x-cache'];
  if (response.status !== 200 || actual !== expected || response.body.items.length !== CHATROOMS) {
    throw new Error(
      `GET /chatroom ${JSON.stringify(headers)}: expected 200 with X-Cache ${expected} and ${CHATROOMS} items, ` +
        `got ${response.status} X-Cache ${String(actual)}`,
    );
  }
}

async function runOnce(context: RunContext): Promise<CacheRun> {
  const gemini = new FakeGemini();
  await gemini.start();
  const stack = await BenchStack.start({ label: `cache${context.runIndex}`, ...context, gemini });
  const api = new HttpClient(stack.apiUrl);
  try {
    const user = await createUser(api, 1, CHATROOMS);
    const auth = { authorization: `Bearer ${user.token}` };
    const noCache = { ...auth, 'cache-control': 'no-cache' };
    await api.send('GET', '/chatroom', { token: user.token });
    await expectXCache(api, user.token, {}, 'HIT');
    await expectXCache(api, user.token, { 'cache-control': 'no-cache' }, 'MISS');

    const warmup = seconds(2);
    await load(stack, '/health', {}, warmup);
    await load(stack, '/chatroom', auth, warmup);
    await load(stack, '/chatroom', noCache, warmup);

    const window = seconds(8);
    const trivial = await load(stack, '/health', {}, window);
    const hit = await load(stack, '/chatroom', auth, window);
    const miss = await load(stack, '/chatroom', noCache, window);
    return {
      trivial,
      hit,
      miss,
      hitToTrivial: round(hit.requestsPerSecond / trivial.requestsPerSecond, 3),
      missToTrivial: round(miss.requestsPerSecond / trivial.requestsPerSecond, 3),
    };
  } finally {
    api.close();
    await stack.stop();
    await gemini.stop();
  }
}

function xCacheAsMeant(run: CacheRun): number {
  const count = (seen: Record<string, number>) => Object.values(seen).reduce((sum, value) => sum + value, 0);
  const meant = (run.hit.xCache.HIT ?? 0) + (run.miss.xCache.MISS ?? 0);
  return round((100 * meant) / (count(run.hit.xCache) + count(run.miss.xCache)));
}

function rows(runs: CacheRun[]): ResultRow[] {
  const row = (
    metric: string,
    unit: string,
    pick: (run: CacheRun) => number,
    extra: Partial<ResultRow> = {},
  ) => {
    const values = runs.map(pick);
    return { metric, unit, value: median(values), runs: values, ...extra };
  };
  const routes: [string, (run: CacheRun) => RouteLoad, string][] = [
    [
      'GET /health (trivial, public)',
      (run) => run.trivial,
      `${CONNECTIONS} connections, ${seconds(8)} s per route`,
    ],
    ['GET /chatroom, cache HIT', (run) => run.hit, `valid token, ${CHATROOMS} chatrooms`],
    ['GET /chatroom, cache MISS', (run) => run.miss, '`Cache-Control: no-cache`'],
  ];
  return [
    ...routes.flatMap(([name, route, note]) => [
      row(`${name}: throughput`, 'req/s', (run) => route(run).requestsPerSecond, { note }),
      row(`${name}: latency p50`, 'ms', (run) => route(run).latencyP50Ms),
      row(`${name}: latency p99`, 'ms', (run) => route(run).latencyP99Ms),
      row(`${name}: api CPU per request`, 'µs', (run) => route(run).apiCpuMicrosPerRequest),
    ]),
    row('Responses carrying the X-Cache they were meant to (HIT run, MISS run)', '%', xCacheAsMeant, {
      target: { comparison: '>=', value: 100 },
    }),
    row('HIT / trivial throughput (same run)', 'ratio', (run) => run.hitToTrivial, {
      target: { comparison: '>=', value: 0.6 },
    }),
    row('MISS / trivial throughput (same run)', 'ratio', (run) => run.missToTrivial),
    row('api CPU during HIT', 'cores', (run) => run.hit.apiCpuCores),
    row('Load generator CPU during HIT', 'cores', (run) => run.hit.self.cpuCores),
  ];
}

export const cacheScenario: Scenario<CacheRun> = {
  id: 'cache',
  title: '1. Cached chatroom list',
  runs: BENCH_RUNS,
  runOnce,
  rows,
};
