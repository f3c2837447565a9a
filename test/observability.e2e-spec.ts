import { WorkerHttpServer } from '../apps/worker/src/http/worker-http.server';
import { signIn } from './support/auth';
import { ApiClient, eventually } from './support/http';
import { parsePrometheus, Sample, sampleValue } from './support/prometheus';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';
import { SentBody } from './support/types';

const METRICS_TOKEN = 'metrics-token-for-the-e2e-suite-0123456789';
const DASHBOARD_PASSWORD = 'dashboard-password-0123';
const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function workerUrl(stack: Stack): string {
  return `http://127.0.0.1:${stack.worker!.get(WorkerHttpServer).port}`;
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parsePrometheus(await response.text());
}

describe('metrics and the queue dashboard, when configured', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      METRICS_TOKEN,
      QUEUE_DASHBOARD_PASSWORD: DASHBOARD_PASSWORD,
      BASIC_DAILY_LIMIT: '1',
      PRO_MONTHLY_TOKENS: '10',
    });
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', `Bearer ${METRICS_TOKEN}x`],
    ['the token in another scheme', `Basic ${METRICS_TOKEN}`],
  ])('refuses api and worker metrics with %s', async (_case, authorization) => {
    const headers: Record<string, string> = authorization ? { authorization } : {};
    for (const url of [stack.api.url, workerUrl(stack)]) {
      const response = await fetch(`${url}/metrics`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.text()).not.toContain('http_request_duration_seconds');
    }
  });

  it("refuses a user's access token as the metrics token", async () => {
    const session = await signIn(stack.api.url);
    const response = await fetch(`${stack.api.url}/metrics`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  it('counts requests by route pattern and status, quota rejections by code, cache hits and queue depth', async () => {
    const client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    const before = await scrape(stack.api.url);
    const listed = (samples: Sample[]): number =>
      sampleValue(samples, 'http_request_duration_seconds_count', {
        method: 'GET',
        route: '/chatroom',
        status_code: '200',
      }) ?? 0;
    const quotaRejections = (samples: Sample[]): number =>
      sampleValue(samples, 'rate_limit_rejections_total', { code: 'DAILY_QUOTA_EXCEEDED' }) ?? 0;
    const hits = (samples: Sample[]): number =>
      sampleValue(samples, 'chatroom_list_cache_lookups_total', { result: 'hit' }) ?? 0;

    const room = (await client.post<{ id: string }>('/chatroom', { title: 'metered' })).body.id;
    expect((await client.get('/chatroom')).headers.get('x-cache')).toBe('MISS');
    expect((await client.get('/chatroom')).headers.get('x-cache')).toBe('HIT');
    const sent = await client.post<SentBody>(`/chatroom/${room}/message?wait=10`, { content: 'hello' });
    expect(sent.body.reply.status).toBe('completed');
    expect((await client.post(`/chatroom/${room}/message`, { content: 'over quota' })).status).toBe(429);

    const after = await scrape(stack.api.url);
    expect(listed(after) - listed(before)).toBe(2);
    expect(
      sampleValue(after, 'http_request_duration_seconds_count', {
        method: 'POST',
        route: '/chatroom/:id/message',
        status_code: '429',
      }),
    ).toBeGreaterThanOrEqual(1);
    const routes = new Set(
      after
        .filter((sample) => sample.name === 'http_request_duration_seconds_count')
        .map((s) => s.labels.route),
    );
    expect([...routes].some((route) => /[0-9a-f]{8}-[0-9a-f]{4}/.test(route))).toBe(false);
    expect(quotaRejections(after) - quotaRejections(before)).toBe(1);
    expect(hits(after) - hits(before)).toBe(1);
    const ratio = sampleValue(after, 'chatroom_list_cache_hit_ratio');
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThanOrEqual(1);
    expect(sampleValue(after, 'bullmq_queue_jobs', { queue: 'replies', state: 'completed' })).toBeGreaterThan(
      0,
    );
    expect(sampleValue(after, 'bullmq_queue_jobs', { queue: 'replies', state: 'waiting' })).toBe(0);
    expect(sampleValue(after, 'process_resident_memory_bytes', { app: 'api' })).toBeGreaterThan(0);
  });

  it('reports Gemini latency and tokens, reply job timings and generations in flight from the worker', async () => {
    const client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    const room = (await client.post<{ id: string }>('/chatroom', {})).body.id;
    const before = await scrape(workerUrl(stack));
    const count = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
      sampleValue(samples, name, labels) ?? 0;

    stack.gemini.script({ kind: 'answer', chunks: ['one ', 'two ', 'three'] });
    const sent = await client.post<SentBody>(`/chatroom/${room}/message?wait=10`, { content: 'count' });
    expect(sent.body.reply.status).toBe('completed');

    const after = await eventually(async () => {
      const samples = await scrape(workerUrl(stack));
      const done = count(samples, 'reply_job_duration_seconds_count', { result: 'completed' });
      return done > count(before, 'reply_job_duration_seconds_count', { result: 'completed' })
        ? samples
        : undefined;
    });
    const delta = (name: string, labels: Record<string, string> = {}): number =>
      count(after, name, labels) - count(before, name, labels);
    expect(delta('gemini_request_duration_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(delta('gemini_time_to_first_chunk_seconds_count')).toBe(1);
    expect(delta('gemini_tokens_total', { kind: 'prompt' })).toBe(7);
    expect(delta('gemini_tokens_total', { kind: 'output' })).toBe(3);
    const stored = { model: 'gemini-2.5-flash', tier: 'basic' };
    expect(delta('reply_tokens_total', { kind: 'prompt', ...stored })).toBe(7);
    expect(delta('reply_tokens_total', { kind: 'output', ...stored })).toBe(3);
    expect(delta('reply_job_wait_seconds_count')).toBe(1);
    expect(sampleValue(after, 'reply_generations_in_flight')).toBe(0);
    expect(sampleValue(after, 'process_resident_memory_bytes', { app: 'worker' })).toBeGreaterThan(0);
    expect(sampleValue(after, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('counts token budget rejections under their code', async () => {
    const user = await signIn(stack.api.url);
    await stack.database.query(`UPDATE users SET tier = 'pro' WHERE id = $1`, [user.user.id]);
    const client = new ApiClient(stack.api.url, user.accessToken);
    const room = (await client.post<{ id: string }>('/chatroom', { title: 'budgeted' })).body.id;
    const rejections = async (): Promise<number> =>
      sampleValue(await scrape(stack.api.url), 'rate_limit_rejections_total', {
        code: 'TOKEN_BUDGET_EXCEEDED',
      }) ?? 0;
    const before = await rejections();
    expect((await client.post(`/chatroom/${room}/message?wait=10`, { content: 'spend' })).status).toBe(200);
    expect((await client.post(`/chatroom/${room}/message`, { content: 'over budget' })).status).toBe(429);
    expect((await rejections()) - before).toBe(1);
  });

  it('counts a failed Gemini call under its error code', async () => {
    const client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    const room = (await client.post<{ id: string }>('/chatroom', {})).body.id;
    const failures = async (): Promise<number> =>
      sampleValue(await scrape(workerUrl(stack)), 'gemini_request_duration_seconds_count', {
        outcome: 'BAD_REQUEST',
      }) ?? 0;
    const before = await failures();
    stack.gemini.script({ kind: 'error', status: 400 });
    const sent = await client.post<SentBody>(`/chatroom/${room}/message?wait=10`, { content: 'bad' });
    expect(sent.body.reply.status).toBe('failed');
    expect((await failures()) - before).toBe(1);
  });

  it('asks for Basic credentials before showing the queue dashboard', async () => {
    for (const authorization of [
      undefined,
      basic('admin', 'wrong-password-0000'),
      basic('root', DASHBOARD_PASSWORD),
    ]) {
      const response = await fetch(`${stack.api.url}/admin/queues`, {
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(await response.json()).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    }
    const api = await fetch(`${stack.api.url}/admin/queues/api/queues`);
    expect(api.status).toBe(401);
  });

  it('shows the replies queue, read-only, to the operator', async () => {
    const headers = { authorization: basic('admin', DASHBOARD_PASSWORD) };
    const page = await fetch(`${stack.api.url}/admin/queues`, { headers });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');

    const queues = await fetch(`${stack.api.url}/admin/queues/api/queues`, { headers });
    expect(queues.status).toBe(200);
    const body = (await queues.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues).toEqual([expect.objectContaining({ name: 'replies', readOnlyMode: true })]);

    const retry = await fetch(`${stack.api.url}/admin/queues/api/queues/replies/retry/failed`, {
      method: 'PUT',
      headers,
    });
    expect(retry.status).toBe(405);
  });
});

describe('metrics and the queue dashboard, by default', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);

  it('does not serve /metrics on the api or the worker without METRICS_TOKEN', async () => {
    const api = await fetch(`${stack.api.url}/metrics`);
    expect(api.status).toBe(404);
    expect(await api.text()).not.toContain('process_resident_memory_bytes');
    const worker = await fetch(`${workerUrl(stack)}/metrics`);
    expect(worker.status).toBe(404);
  });

  it('does not mount the queue dashboard without QUEUE_DASHBOARD_PASSWORD', async () => {
    const response = await fetch(`${stack.api.url}/admin/queues`, {
      headers: { authorization: basic('admin', 'anything-at-all-000') },
    });
    expect(response.status).toBe(404);
  });
});
