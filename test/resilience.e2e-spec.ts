import { spawnApi, startApi, SPAWN_TIMEOUT_MS } from './support/api';
import { signIn } from './support/auth';
import { testConfig } from './support/config';
import { ApiClient, eventually } from './support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';
import { spawnWorker } from './support/worker';

const PUBLIC_ROUTES = new Set([
  'GET /health',
  'GET /health/ready',
  'POST /auth/signup',
  'POST /auth/send-otp',
  'POST /auth/verify-otp',
  'POST /auth/login',
  'POST /auth/forgot-password',
  'POST /auth/reset-password',
  'POST /auth/refresh',
  'POST /webhook/stripe',
]);

describe('route inventory', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({}, { worker: false });
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);

  it('guards every route, with or without a trailing slash, except the explicit public list, and documents exactly that', async () => {
    const document = (await (await fetch(`${stack.api.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        operation,
      })),
    );
    expect(routes.length).toBeGreaterThan(20);
    const sampleId = '00000000-0000-4000-8000-000000000000';
    for (const { method, path, operation } of routes) {
      const key = `${method} ${path}`;
      const documentedAsProtected = (operation.security ?? []).length > 0;
      expect({ key, documentedAsProtected }).toEqual({ key, documentedAsProtected: !PUBLIC_ROUTES.has(key) });
      if (PUBLIC_ROUTES.has(key)) continue;
      const url = `${stack.api.url}${path.replace(/\{[^}]+\}/g, sampleId)}`;
      // With and without a trailing slash, as clients of the original FastAPI project send them.
      for (const variant of [url, `${url}/`]) {
        const response = await fetch(variant, {
          method,
          headers: { 'content-type': 'application/json' },
          body: method === 'GET' ? undefined : '{}',
        });
        expect({ key, variant, status: response.status }).toEqual({ key, variant, status: 401 });
      }
    }
  });
});

describe('when Redis is unreachable', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({}, { worker: false });
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);

  it(
    'reports not ready, refuses prompts with a quick 503, and still serves reads from PostgreSQL',
    async () => {
      const session = await signIn(stack.api.url);
      const healthy = new ApiClient(stack.api.url, session.accessToken);
      const room = (await healthy.post<{ id: string }>('/chatroom', { title: 'before the outage' })).body.id;

      const broken = await startApi(
        testConfig(stack.database.url, { ...stack.env, REDIS_URL: 'redis://127.0.0.1:1' }),
      );
      try {
        const client = new ApiClient(broken.url, session.accessToken);
        expect((await client.get('/health')).status).toBe(200);
        const ready = await client.get('/health/ready');
        expect(ready.status).toBe(503);
        expect(ready.body).toMatchObject({
          code: 'SERVICE_UNAVAILABLE',
          detail: 'Not ready: redis unavailable',
        });

        const started = Date.now();
        const prompt = await client.post(`/chatroom/${room}/message`, { content: 'during the outage' });
        expect(prompt.status).toBe(503);
        expect(prompt.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
        expect(Date.now() - started).toBeLessThan(5000);
        expect(
          await stack.database.query('SELECT id FROM messages WHERE chatroom_id = $1', [room]),
        ).toHaveLength(0);

        const list = await client.get<{ items: { id: string }[] }>('/chatroom');
        expect(list.status).toBe(200);
        expect(list.body.items.map((item) => item.id)).toContain(room);
      } finally {
        await broken.close();
      }
    },
    STACK_TIMEOUT_MS,
  );
});

describe('graceful shutdown', () => {
  it(
    'lets an in-flight generation finish on SIGTERM before the worker exits',
    async () => {
      const stack = await startStack({}, { worker: false });
      try {
        const client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
        const room = (await client.post<{ id: string }>('/chatroom', {})).body.id;
        stack.gemini.script({ kind: 'answer', chunks: ['slow ', 'but ', 'complete'], chunkDelayMs: 600 });
        const worker = spawnWorker(stack.env);
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          worker.once('exit', (code, signal) => resolve({ code, signal })),
        );
        const reply = (
          await client.post<{ reply: { id: string } }>(`/chatroom/${room}/message`, { content: 'finish me' })
        ).body.reply.id;
        await eventually(
          () => Promise.resolve(stack.gemini.requests.length === 1 ? true : undefined),
          SPAWN_TIMEOUT_MS,
        );
        worker.kill('SIGTERM');
        const exit = await exited;
        // Nest closes the app, then re-raises the signal so the exit status still says SIGTERM.
        expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
        const { body } = await client.get<{ status: string; content: string }>(
          `/chatroom/${room}/message/${reply}`,
        );
        expect(body).toMatchObject({ status: 'completed', content: 'slow but complete' });
      } finally {
        await stack.stop();
      }
    },
    STACK_TIMEOUT_MS,
  );

  it(
    'stops the api cleanly on SIGTERM',
    async () => {
      const stack = await startStack({}, { worker: false });
      try {
        const api = await spawnApi(stack.env);
        await api.stop();
      } finally {
        await stack.stop();
      }
    },
    STACK_TIMEOUT_MS,
  );
});
