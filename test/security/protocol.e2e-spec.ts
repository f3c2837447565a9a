import { signIn } from '../support/auth';
import { Stack, startStack } from '../support/stack';

/** What a client sends outside the JSON contract gets a 4xx problem body, never a 5xx or a framework default. */
describe('protocol hygiene and limits counted as the database counts', () => {
  let stack: Stack;
  let accessToken: string;

  beforeAll(async () => {
    stack = await startStack({}, { worker: false });
    accessToken = (await signIn(stack.api.url)).accessToken;
  }, 60_000);
  afterAll(async () => stack?.stop(), 30_000);

  const send = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${stack.api.url}${path}`, init);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> | undefined,
    };
  };
  const authorized = (headers: Record<string, string> = {}) => ({
    authorization: `Bearer ${accessToken}`,
    ...headers,
  });
  const json = JSON.stringify({ mobile: '+14155550123' });

  it.each([
    ['a form body', { 'content-type': 'application/x-www-form-urlencoded' }, 'mobile=%2B14155550123'],
    ['a gzip-encoded body', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, json],
    ['a Latin-1 body', { 'content-type': 'application/json; charset=iso-8859-1' }, json],
    ['a UTF-16 body', { 'content-type': 'application/json; charset=utf-16' }, json],
  ])('answers %s on a JSON route with 415', async (_name, headers, body) => {
    const response = await send('/auth/send-otp', { method: 'POST', headers, body });
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('accepts JSON declared as UTF-8', async () => {
    const response = await send('/auth/send-otp', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      body: json,
    });
    expect(response.status).toBe(200);
  });

  it.each([
    ['DELETE', '/auth/login', 'POST'],
    ['PUT', '/chatroom/3f1c2a9e-0000-4000-8000-000000000000', 'DELETE, GET, HEAD, PATCH'],
    ['POST', '/health', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow', async (method, path, allow) => {
    const response = await send(path, { method, headers: authorized() });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect(response.body).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
  });

  it.each<[string, string, { method?: string; headers?: Record<string, string>; body?: string }]>([
    ['a 405', '/health', { method: 'POST' }],
    ['a 415', '/auth/send-otp', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'mobile' }],
    ['a 404', '/no-such-path', {}],
  ])('gives %s the request id and the security headers of every answer', async (_name, path, init) => {
    const response = await send(path, {
      ...init,
      headers: { ...init.headers, 'x-request-id': 'trace-0001' },
    });
    expect(response.headers.get('x-request-id')).toBe('trace-0001');
    expect(response.body).toMatchObject({ requestId: 'trace-0001' });
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('answers a CORS preflight without CORS headers when no origin is allowed (CORS_ORIGINS unset)', async () => {
    const response = await send('/chatroom', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(404);
    for (const name of ['allow-origin', 'allow-methods', 'allow-headers', 'allow-credentials']) {
      expect(response.headers.get(`access-control-${name}`)).toBeNull();
    }
  });

  it('still answers an unknown path with 404', async () => {
    expect((await send('/no-such-path', { method: 'PUT' })).status).toBe(404);
  });

  it('answers headers too large with 431 as a problem body', async () => {
    const response = await send('/health', { headers: { 'x-padding': 'x'.repeat(20_000) } });
    expect(response.status).toBe(431);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });

  it.each([
    ['150 × "❤️" (U+2764 U+FE0F)', '❤️'.repeat(150)],
    ['101 × "a\\uFE0F"', 'a\uFE0F'.repeat(101)],
  ])('refuses a chatroom title of %s with 400: PostgreSQL counts it over 200', async (_name, title) => {
    const response = await send('/chatroom', {
      method: 'POST',
      headers: authorized({ 'content-type': 'application/json' }),
      body: JSON.stringify({ title }),
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('stores a title of exactly 200 code points, emoji included', async () => {
    const title = `${'😀'.repeat(100)}${'a'.repeat(100)}`;
    const response = await send('/chatroom', {
      method: 'POST',
      headers: authorized({ 'content-type': 'application/json' }),
      body: JSON.stringify({ title }),
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ title });
  });

  it('refuses a name of 60 × "❤️" at verify-otp with 400', async () => {
    const response = await send('/auth/verify-otp', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mobile: '+14155550123', otp: '123456', name: '❤️'.repeat(60) }),
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ errors: [{ field: 'name' }] });
  });

  it.each(['-271821-04-20T00:00:00.000Z', '-005000-01-01T00:00:00.000Z'])(
    'refuses a page cursor dated %s with 400',
    async (t) => {
      const cursor = Buffer.from(JSON.stringify({ t, i: '3f1c2a9e-0000-4000-8000-000000000000' })).toString(
        'base64url',
      );
      const response = await send(`/chatroom?cursor=${cursor}`, {
        headers: authorized({ 'cache-control': 'no-cache' }),
      });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    },
  );
});

describe('CORS with allowed origins', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ CORS_ORIGINS: 'https://app.example.com' }, { worker: false });
  }, 60_000);
  afterAll(async () => stack?.stop(), 30_000);

  const preflight = (origin: string) =>
    fetch(`${stack.api.url}/chatroom`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });

  it('answers a preflight from an allowed origin with 204 and that origin', async () => {
    const response = await preflight('https://app.example.com');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('gives another origin no access-control-allow-origin', async () => {
    const response = await preflight('https://evil.example.net');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("exposes the request id and limits' headers to an allowed origin's scripts", async () => {
    const response = await fetch(`${stack.api.url}/health`, {
      headers: { origin: 'https://app.example.com' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(response.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    expect(response.headers.get('access-control-expose-headers')).toContain('X-TokenBudget-Remaining');
  });
});
