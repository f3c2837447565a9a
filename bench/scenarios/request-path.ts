import { ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { FakeGemini } from '@app/stand-ins';
import { freePort } from '../../test/support/free-port';
import { cpuSecondsOf } from '../support/app-process';
import { HttpClient, sleep, waitForOk } from '../support/http';
import { BENCH_RUNS, ResultRow, RunContext, Scenario, numberFromEnv, seconds } from '../support/scenario';
import { BenchStack } from '../support/stack';
import { median, round } from '../support/stats';
import { BenchUser, createUser } from '../support/users';
import { runWrk, WrkRequest } from '../support/wrk';

const CHATROOMS = 20;
/** Prompts answered in the first chatroom before the loads, so that GET /chatroom/:id shows some messages. */
const PROMPTS_IN_FIRST_ROOM = 5;
const CONNECTIONS = numberFromEnv('BENCH_REQUEST_CONNECTIONS', 32);

type RouteId =
  | 'bare-fastify'
  | 'bare-express'
  | 'health'
  | 'list-hit'
  | 'list-miss'
  | 'user-me'
  | 'chatroom'
  | 'send-message';

/** In the order they run: the prompts come last, since each one changes the list the reads before it serve. */
const ROUTES: { id: RouteId; title: string; note: string }[] = [
  {
    id: 'bare-fastify',
    title: 'bare NestJS on Fastify, GET / (one JSON route)',
    note: 'the framework ceiling',
  },
  { id: 'bare-express', title: 'bare NestJS on Express, GET / (one JSON route)', note: '' },
  { id: 'health', title: 'GET /health', note: 'public; security headers, request id, metrics, request log' },
  { id: 'list-hit', title: 'GET /chatroom, cache HIT', note: `valid token, ${CHATROOMS} chatrooms` },
  { id: 'list-miss', title: 'GET /chatroom, cache MISS', note: '`Cache-Control: no-cache`' },
  { id: 'user-me', title: 'GET /user/me', note: '' },
  { id: 'chatroom', title: 'GET /chatroom/:id', note: `${PROMPTS_IN_FIRST_ROOM * 2} messages` },
  { id: 'send-message', title: 'POST /chatroom/:id/message (202, no wait)', note: 'over the 20 chatrooms' },
];

/** BENCH_REQUEST_ROUTES=health,list-hit runs only those (e.g. to profile one route); the ratios need their two. */
function selectedRoutes(): RouteId[] {
  const named = (process.env.BENCH_REQUEST_ROUTES ?? '').split(',').filter(Boolean);
  const unknown = named.filter((id) => !ROUTES.some((route) => route.id === id));
  if (unknown.length) throw new Error(`BENCH_REQUEST_ROUTES: unknown ${unknown.join(', ')}`);
  return ROUTES.map((route) => route.id).filter((id) => named.length === 0 || named.includes(id));
}

interface RouteLoad {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  failed: number;
  /** CPU time of the serving process per answered request. */
  cpuMicrosPerRequest: number;
  cpuCores: number;
}

interface RequestPathRun {
  routes: Partial<Record<RouteId, RouteLoad>>;
  /** The machine's 1-minute load average at the end of the run. */
  loadAverage: number;
}

interface Target {
  url: string;
  pid: number;
}

async function load(target: Target, request: WrkRequest, durationSeconds: number): Promise<RouteLoad> {
  const cpuBefore = cpuSecondsOf(target.pid);
  const result = await runWrk({
    baseUrl: target.url,
    request,
    connections: CONNECTIONS,
    durationSeconds,
    scriptDir: 'bench/results',
  });
  const cpu = cpuSecondsOf(target.pid) - cpuBefore;
  const answered = result.requests - result.non2xx;
  return {
    requestsPerSecond: round(answered / result.durationSeconds),
    latencyP50Ms: round(result.latencyP50Ms, 2),
    latencyP99Ms: round(result.latencyP99Ms, 2),
    failed: result.non2xx + result.errors,
    cpuMicrosPerRequest: Math.round((cpu * 1e6) / answered),
    cpuCores: round(cpu / result.durationSeconds, 2),
  };
}

/** One bare app, as its own process, until `stop`. */
async function startBareApp(framework: 'fastify' | 'express'): Promise<Target & { child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', 'bench/baselines/bare-nest-app.ts', framework, String(port)],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/`, 30_000);
  return { url, pid: child.pid!, child };
}

async function stopBareApp(app: { child: ChildProcess }): Promise<void> {
  if (app.child.exitCode !== null) return;
  const exited = new Promise((resolve) => app.child.once('exit', resolve));
  app.child.kill('SIGTERM');
  await exited;
}

async function expectListCache(api: HttpClient, user: BenchUser, noCache: boolean, expected: string) {
  const headers: Record<string, string> = noCache ? { 'cache-control': 'no-cache' } : {};
  const response = await api.send<{ items: unknown[] }>('GET', '/chatroom', { token: user.token, headers });
  const actual = response.headers['x-cache'];
  if (response.status !== 200 || actual !== expected || response.body.items.length !== CHATROOMS) {
    throw new Error(
      `GET /chatroom ${JSON.stringify(headers)}: expected 200 with X-Cache ${expected} and ${CHATROOMS} items, ` +
        `got ${response.status} X-Cache ${String(actual)}`,
    );
  }
}

async function runOnce(context: RunContext): Promise<RequestPathRun> {
  const routes = selectedRoutes();
  const gemini = new FakeGemini();
  await gemini.start();
  const bareFastify = await startBareApp('fastify');
  const bareExpress = await startBareApp('express');
  const stack = await BenchStack.start({ label: `request${context.runIndex}`, ...context, gemini });
  const api = new HttpClient(stack.apiUrl);
  try {
    const user = await createUser(api, 1, CHATROOMS);
    const [firstRoom] = user.chatroomIds;
    for (let prompt = 0; prompt < PROMPTS_IN_FIRST_ROOM; prompt += 1) {
      const sent = await api.send('POST', `/chatroom/${firstRoom}/message?wait=10`, {
        token: user.token,
        body: { content: `Warm-up prompt ${prompt + 1}` },
      });
      if (sent.status !== 200) throw new Error(`warm-up prompt: expected 200, got ${sent.status}`);
    }
    // Each prompt deletes the cached list once more 500 ms later (ChatroomListCache.invalidate).
    await sleep(1000);
    await api.send('GET', '/chatroom', { token: user.token });
    await expectListCache(api, user, false, 'HIT');
    await expectListCache(api, user, true, 'MISS');

    const auth = { authorization: `Bearer ${user.token}` };
    const apiTarget: Target = { url: stack.apiUrl, pid: stack.app('api').pid };
    const requests: Record<RouteId, [Target, WrkRequest]> = {
      'bare-fastify': [bareFastify, { paths: ['/'] }],
      'bare-express': [bareExpress, { paths: ['/'] }],
      health: [apiTarget, { paths: ['/health'] }],
      'list-hit': [apiTarget, { paths: ['/chatroom'], headers: auth }],
      'list-miss': [apiTarget, { paths: ['/chatroom'], headers: { ...auth, 'cache-control': 'no-cache' } }],
      'user-me': [apiTarget, { paths: ['/user/me'], headers: auth }],
      chatroom: [apiTarget, { paths: [`/chatroom/${firstRoom}`], headers: auth }],
      'send-message': [
        apiTarget,
        {
          method: 'POST',
          paths: user.chatroomIds.map((id) => `/chatroom/${id}/message`),
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ content: 'Plan three days in Lisbon' }),
        },
      ],
    };
    const measured: RequestPathRun['routes'] = {};
    for (const id of routes) {
      const [target, request] = requests[id];
      await load(target, request, seconds(2));
      measured[id] = await load(target, request, seconds(8));
      // The HIT load must have been served from the cache all along: nothing invalidated it meanwhile.
      if (id === 'list-hit') await expectListCache(api, user, false, 'HIT');
    }
    return { routes: measured, loadAverage: round(loadavg()[0], 2) };
  } finally {
    api.close();
    await stack.stop();
    await Promise.all([stopBareApp(bareFastify), stopBareApp(bareExpress)]);
    await gemini.stop();
  }
}

const ratio = (run: RequestPathRun, over: RouteId, under: RouteId): number => {
  const a = run.routes[over]?.requestsPerSecond;
  const b = run.routes[under]?.requestsPerSecond;
  return a === undefined || b === undefined ? Number.NaN : round(a / b, 3);
};

function rows(runs: RequestPathRun[]): ResultRow[] {
  const row = (
    metric: string,
    unit: string,
    pick: (run: RequestPathRun) => number,
    extra: Partial<ResultRow> = {},
  ): ResultRow => {
    const values = runs.map(pick);
    return { metric, unit, value: median(values), runs: values, ...extra };
  };
  const measured = ROUTES.filter((route) => runs.some((run) => run.routes[route.id]));
  const value = (id: RouteId, pick: (load: RouteLoad) => number) => (run: RequestPathRun) => {
    const route = run.routes[id];
    return route ? pick(route) : Number.NaN;
  };
  return [
    ...measured.flatMap(({ id, title, note }) => [
      row(
        `${title}: throughput`,
        'req/s',
        value(id, (route) => route.requestsPerSecond),
        {
          note: `${note ? `${note}; ` : ''}${CONNECTIONS} connections, ${seconds(8)} s`,
        },
      ),
      row(
        `${title}: latency p50`,
        'ms',
        value(id, (route) => route.latencyP50Ms),
      ),
      row(
        `${title}: latency p99`,
        'ms',
        value(id, (route) => route.latencyP99Ms),
      ),
      row(
        `${title}: CPU per request`,
        'µs',
        value(id, (route) => route.cpuMicrosPerRequest),
        {
          note: id.startsWith('bare') ? 'the bare app' : 'the api',
        },
      ),
      row(
        `${title}: failed requests`,
        'requests',
        value(id, (route) => route.failed),
      ),
    ]),
    row('GET /health / bare Fastify (same run)', 'ratio', (run) => ratio(run, 'health', 'bare-fastify'), {
      target: { comparison: '>=', value: 0.5 },
    }),
    row('cached GET /chatroom / GET /health (same run)', 'ratio', (run) => ratio(run, 'list-hit', 'health'), {
      target: { comparison: '>=', value: 0.5 },
    }),
    row(
      'cached GET /chatroom / bare Express (same run)',
      'ratio',
      (run) => ratio(run, 'list-hit', 'bare-express'),
      {
        target: { comparison: '>=', value: 1 },
      },
    ),
    row('Load average (1 min) at the end of the run', 'load', (run) => run.loadAverage, {
      note: 'on 2 cores; above ~2 something else competed for the CPU',
    }),
  ];
}

export const requestPathScenario: Scenario<RequestPathRun> = {
  id: 'request-path',
  title: '1. The request path',
  runs: BENCH_RUNS,
  runOnce,
  rows,
};
