import { startApi, RunningApi } from './support/api';
import { testConfig } from './support/config';
import { createTestDatabase, TestDatabase } from './support/database';
import { STACK_TIMEOUT_MS } from './support/stack';

describe('health and API conventions', () => {
  let database: TestDatabase;
  let api: RunningApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startApi(testConfig(database.url, { BODY_LIMIT_BYTES: '2048' }));
  }, STACK_TIMEOUT_MS);

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  }, STACK_TIMEOUT_MS);

  it('answers liveness with 200 and a request id header', async () => {
    const response = await fetch(`${api.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('echoes a well-formed X-Request-Id from the caller', async () => {
    const response = await fetch(`${api.url}/health`, { headers: { 'x-request-id': 'trace-abc-12345' } });
    expect(response.headers.get('x-request-id')).toBe('trace-abc-12345');
  });

  it('reports readiness of PostgreSQL and Redis', async () => {
    const response = await fetch(`${api.url}/health/ready`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { details: Record<string, { status: string }> };
    expect(body.details.postgres.status).toBe('up');
    expect(body.details.redis.status).toBe('up');
  });

  it('documents every error as application/problem+json with its own example', async () => {
    const document = (await (await fetch(`${api.url}/docs-json`)).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>
      >;
    };
    const errorExamples = Object.values(document.paths).flatMap((operations) =>
      Object.values(operations).flatMap((operation) =>
        Object.entries(operation.responses)
          .filter(([status]) => Number(status) >= 400)
          .map(([status, response]) => ({ status: Number(status), content: response.content ?? {} })),
      ),
    );
    expect(errorExamples.length).toBeGreaterThan(50);
    for (const { status, content } of errorExamples) {
      expect(Object.keys(content)).toEqual(['application/problem+json']);
      const { example } = content['application/problem+json'] as {
        example: { status: number; code: string };
      };
      expect(example.status).toBe(status);
    }
    const codes = new Set(
      errorExamples.map(
        ({ content }) => (content['application/problem+json'] as { example: { code: string } }).example.code,
      ),
    );
    expect(codes.size).toBeGreaterThanOrEqual(15);
  });

  it('accepts a trailing slash on public routes too', async () => {
    expect((await fetch(`${api.url}/health/`)).status).toBe(200);
    const otp = await fetch(`${api.url}/auth/send-otp/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mobile: '+14155550123' }),
    });
    expect(otp.status).toBe(200);
  });

  it('answers an unknown route with a problem details 404', async () => {
    const response = await fetch(`${api.url}/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 404, code: 'NOT_FOUND', title: 'Not Found' });
  });

  it('answers malformed JSON with 400 MALFORMED_JSON, not 500', async () => {
    const response = await fetch(`${api.url}/auth/send-otp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken":',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
  });

  it('answers an oversized body with 413', async () => {
    const response = await fetch(`${api.url}/auth/send-otp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(4096) }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('serves Swagger UI and the OpenAPI document', async () => {
    expect((await fetch(`${api.url}/docs`)).status).toBe(200);
    const document = (await (await fetch(`${api.url}/docs-json`)).json()) as { openapi: string };
    expect(document.openapi).toMatch(/^3\./);
  });
});
