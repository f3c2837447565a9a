import { WorkerHttpServer } from '../../apps/worker/src/http/worker-http.server';
import { RunningApi, startApi } from '../support/api';
import { uniqueMobile } from '../support/auth';
import { Stack, startStack } from '../support/stack';

const METRICS_TOKEN = 'metrics-token-for-the-abuse-suite-0123456789';
const DASHBOARD_PASSWORD = 'dashboard-password-for-abuse-0123';
const FAILURE_LIMIT = 30;
const AUTH_ROUTE_LIMIT = 20;

interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
}

async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('json') ?? false;
  return {
    status: response.status,
    code: isJson ? (JSON.parse(text) as { code?: string }).code : undefined,
    retryAfter: response.headers.get('retry-after'),
  };
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const countBy = (answers: Answer[], status: number): number =>
  answers.filter((answer) => answer.status === status).length;

/**
 * Per-IP limits key on the address that survives TRUST_PROXY: `trusting` runs behind a configured proxy (127.0.0.1,
 * so X-Forwarded-For names the client), `untrusting` with the default (no proxy: X-Forwarded-For is ignored).
 */
describe('limits an attacker cannot dodge', () => {
  let stack: Stack;
  let untrusting: RunningApi;

  beforeAll(async () => {
    stack = await startStack({
      TRUST_PROXY: '127.0.0.1',
      AUTH_FAILURE_LIMIT_PER_MINUTE: String(FAILURE_LIMIT),
      AUTH_RATE_LIMIT_PER_MINUTE: String(AUTH_ROUTE_LIMIT),
      METRICS_TOKEN,
      QUEUE_DASHBOARD_PASSWORD: DASHBOARD_PASSWORD,
    });
    untrusting = await startApi({ ...stack.config, trustProxy: false });
  }, 60_000);
  afterAll(async () => {
    await untrusting?.close();
    await stack?.stop();
  }, 30_000);

  it('ignores a client-chosen X-Forwarded-For without TRUST_PROXY: 25 wrong logins from one address, 5 × 429', async () => {
    const answers: Answer[] = [];
    for (let index = 0; index < 25; index++) {
      answers.push(
        await send(
          `${untrusting.url}/auth/login`,
          json(
            { mobile: uniqueMobile(), password: 'a wrong password' },
            { 'x-forwarded-for': `203.0.113.${index}` },
          ),
        ),
      );
    }
    expect(countBy(answers, 401)).toBe(AUTH_ROUTE_LIMIT);
    expect(countBy(answers, 429)).toBe(25 - AUTH_ROUTE_LIMIT);
  }, 30_000);

  it('takes the client address from X-Forwarded-For when the request comes through the configured proxy', async () => {
    const answers: Answer[] = [];
    for (let index = 0; index < 25; index++) {
      answers.push(
        await send(
          `${stack.api.url}/auth/login`,
          json(
            { mobile: uniqueMobile(), password: 'a wrong password' },
            { 'x-forwarded-for': `192.0.2.${index}` },
          ),
        ),
      );
    }
    expect(countBy(answers, 429)).toBe(0);
  }, 30_000);

  it('refuses an address with 429 once its bearer tokens failed too often: 200 requests with a logged-out token', async () => {
    const from = { 'x-forwarded-for': '198.51.100.1' };
    const mobile = uniqueMobile();
    const issued = (await (await fetch(`${stack.api.url}/auth/send-otp`, json({ mobile }, from))).json()) as {
      otp: string;
    };
    const tokens = (await (
      await fetch(`${stack.api.url}/auth/verify-otp`, json({ mobile, otp: issued.otp }, from))
    ).json()) as { accessToken: string };
    const bearer = { ...from, authorization: `Bearer ${tokens.accessToken}` };
    expect((await send(`${stack.api.url}/auth/logout`, { method: 'POST', headers: bearer })).status).toBe(
      204,
    );

    const answers: Answer[] = [];
    for (let index = 0; index < 200; index++) {
      answers.push(await send(`${stack.api.url}/user/me`, { headers: bearer }));
    }
    expect(countBy(answers, 401)).toBe(FAILURE_LIMIT);
    expect(countBy(answers, 429)).toBe(200 - FAILURE_LIMIT);
    const refused = answers.at(-1)!;
    expect(refused.code).toBe('TOO_MANY_AUTH_FAILURES');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);

    // Another address is not affected.
    const other = await send(`${stack.api.url}/user/me`, {
      headers: { 'x-forwarded-for': '198.51.100.2', authorization: bearer.authorization },
    });
    expect(other.status).toBe(401);
  }, 30_000);

  it.each([
    ['metrics token', '/metrics', `Bearer ${METRICS_TOKEN}`, `Bearer ${METRICS_TOKEN}x`, '198.51.100.3'],
    [
      'queue dashboard password',
      '/admin/queues',
      `Basic ${Buffer.from(`admin:${DASHBOARD_PASSWORD}`).toString('base64')}`,
      `Basic ${Buffer.from(`admin:${DASHBOARD_PASSWORD}x`).toString('base64')}`,
      '198.51.100.4',
    ],
  ])(
    'counts wrong %ss too, and refuses even the right one afterwards',
    async (_name, path, right, wrong, address) => {
      const from = (authorization: string): RequestInit => ({
        headers: { 'x-forwarded-for': address, authorization },
      });
      expect((await send(`${stack.api.url}${path}`, from(right))).status).toBe(200);
      const answers: Answer[] = [];
      for (let index = 0; index < FAILURE_LIMIT + 10; index++) {
        answers.push(await send(`${stack.api.url}${path}`, from(wrong)));
      }
      expect(countBy(answers, 401)).toBe(FAILURE_LIMIT);
      expect(countBy(answers, 429)).toBe(10);
      expect(answers.at(-1)).toMatchObject({ code: 'TOO_MANY_AUTH_FAILURES' });
      expect(await send(`${stack.api.url}${path}`, from(right))).toMatchObject({
        status: 429,
        code: 'TOO_MANY_AUTH_FAILURES',
      });
    },
    30_000,
  );

  it("counts wrong tokens on the worker's /metrics against the caller's address as well", async () => {
    const url = `http://127.0.0.1:${stack.worker!.get(WorkerHttpServer).port}/metrics`;
    const answers: Answer[] = [];
    for (let index = 0; index < FAILURE_LIMIT + 10; index++) {
      answers.push(await send(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } }));
    }
    expect(countBy(answers, 401)).toBe(FAILURE_LIMIT);
    expect(countBy(answers, 429)).toBe(10);
    const afterwards = await send(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(afterwards).toMatchObject({ status: 429, code: 'TOO_MANY_AUTH_FAILURES' });
    expect(Number(afterwards.retryAfter)).toBeGreaterThan(0);
  }, 30_000);
});
