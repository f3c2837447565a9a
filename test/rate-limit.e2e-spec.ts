import { signIn, uniqueMobile } from './support/auth';
import { ApiClient } from './support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';

describe('burst rate limits', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(
      { RATE_LIMIT_PER_MINUTE: '3', AUTH_RATE_LIMIT_PER_MINUTE: '4' },
      { worker: false },
    );
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);

  it('limits each user per minute across routes, with RATE_LIMITED and Retry-After', async () => {
    const alice = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    expect((await alice.get('/user/me')).status).toBe(200);
    expect((await alice.get('/chatroom')).status).toBe(200);
    expect((await alice.get('/subscription/status')).status).toBe(200);
    const limited = await alice.get('/chatroom');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('counts users separately', async () => {
    const bob = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    expect((await bob.get('/user/me')).status).toBe(200);
  });

  it('limits /auth routes per IP more strictly, and leaves health checks alone', async () => {
    const api = new ApiClient(stack.api.url);
    const statuses: number[] = [];
    for (let index = 0; index < 6; index++)
      statuses.push((await api.post('/auth/send-otp', { mobile: uniqueMobile() })).status);
    expect(statuses).toContain(429);
    expect((await api.get('/health')).status).toBe(200);
  });
});
