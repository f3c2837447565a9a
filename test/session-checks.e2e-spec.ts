import Redis from 'ioredis';
import { RunningApi, startApi } from './support/api';
import { signIn, SignedIn } from './support/auth';
import { testConfig } from './support/config';
import { ApiClient } from './support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';

const sessionOf = (signedIn: SignedIn): string =>
  (JSON.parse(Buffer.from(signedIn.accessToken.split('.')[1], 'base64url').toString()) as { sid: string })
    .sid;

/**
 * Access tokens are checked against their session on every request; Redis answers for PostgreSQL where it knows.
 * Two api instances share the database and Redis, as in production.
 */
describe('the per-request session check, on two api instances', () => {
  let stack: Stack;
  let second: RunningApi;
  let redis: Redis;
  const sessionKey = (sessionId: string): string => `${stack.config.redis.prefix}:session:${sessionId}`;

  beforeAll(async () => {
    stack = await startStack({ OTP_RESEND_COOLDOWN_SECONDS: '1' }, { worker: false });
    second = await startApi(stack.config);
    redis = new Redis(stack.config.redis.url);
  }, STACK_TIMEOUT_MS);
  afterAll(async () => {
    redis?.disconnect();
    await second?.close();
    await stack?.stop();
  }, STACK_TIMEOUT_MS);

  it('keeps what PostgreSQL said of a live session in Redis, for at most an access token lifetime', async () => {
    const signedIn = await signIn(stack.api.url);
    expect((await new ApiClient(second.url, signedIn.accessToken).get('/user/me')).status).toBe(200);
    const key = sessionKey(sessionOf(signedIn));
    expect(await redis.get(key)).toBe(signedIn.user.id);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(stack.config.auth.accessTokenTtlSeconds * 1000);
  });

  it('ends a session on the other instance at once when it logs out, though that instance had it as live', async () => {
    const signedIn = await signIn(stack.api.url);
    const onSecond = new ApiClient(second.url, signedIn.accessToken);
    expect((await onSecond.get('/user/me')).status).toBe(200);
    expect((await onSecond.get('/chatroom')).status).toBe(200);

    expect((await new ApiClient(stack.api.url, signedIn.accessToken).post('/auth/logout')).status).toBe(204);
    expect((await onSecond.get('/user/me')).status).toBe(401);
    expect((await onSecond.get('/chatroom')).status).toBe(401);
    expect(await redis.get(sessionKey(sessionOf(signedIn)))).toBe('revoked');
  });

  it('ends the other sessions on every instance at once when the password changes', async () => {
    const first = await signIn(stack.api.url);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the resend cooldown of one number
    const other = await signIn(stack.api.url, first.mobile);
    const otherOnSecond = new ApiClient(second.url, other.accessToken);
    expect((await otherOnSecond.get('/user/me')).status).toBe(200);

    const changed = await new ApiClient(second.url, first.accessToken).post('/auth/change-password', {
      newPassword: 'a brand new password',
    });
    expect(changed.status).toBe(204);
    expect((await otherOnSecond.get('/user/me')).status).toBe(401);
    expect((await new ApiClient(stack.api.url, other.accessToken).get('/user/me')).status).toBe(401);
    expect((await new ApiClient(stack.api.url, first.accessToken).get('/user/me')).status).toBe(200);
  });

  it('does not let a check that read PostgreSQL before a revocation put the session back', async () => {
    const signedIn = await signIn(stack.api.url);
    const client = new ApiClient(stack.api.url, signedIn.accessToken);
    expect((await client.post('/auth/logout')).status).toBe(204);
    // What a check on another instance writes when its PostgreSQL read came just before the revocation.
    const key = sessionKey(sessionOf(signedIn));
    expect(await redis.set(key, signedIn.user.id, 'PX', 60_000, 'NX')).toBeNull();
    expect((await client.get('/user/me')).status).toBe(401);
  });

  it('asks PostgreSQL when Redis has nothing for the session, and refuses a session revoked there', async () => {
    const signedIn = await signIn(stack.api.url);
    const key = sessionKey(sessionOf(signedIn));
    const client = new ApiClient(stack.api.url, signedIn.accessToken);
    expect((await client.get('/user/me')).status).toBe(200);

    await redis.del(key);
    await stack.database.query('UPDATE sessions SET revoked_at = now() WHERE id = $1', [sessionOf(signedIn)]);
    expect((await client.get('/user/me')).status).toBe(401);
    expect(await redis.get(key)).toBeNull();
  });
});

describe('the per-request session check while Redis is unreachable', () => {
  let stack: Stack;
  let broken: RunningApi;

  beforeAll(async () => {
    stack = await startStack({}, { worker: false });
    broken = await startApi(
      testConfig(stack.database.url, { ...stack.env, REDIS_URL: 'redis://127.0.0.1:1' }),
    );
  }, STACK_TIMEOUT_MS);
  afterAll(async () => {
    await broken?.close();
    await stack?.stop();
  }, STACK_TIMEOUT_MS);

  it('checks sessions in PostgreSQL: a live one is served, a revoked one refused', async () => {
    const signedIn = await signIn(stack.api.url);
    const client = new ApiClient(broken.url, signedIn.accessToken);
    const list = await client.get('/chatroom');
    expect(list.status).toBe(200);
    expect(list.headers.get('x-cache')).toBe('MISS');

    await stack.database.query('UPDATE sessions SET revoked_at = now() WHERE id = $1', [sessionOf(signedIn)]);
    expect((await client.get('/chatroom')).status).toBe(401);
  });

  it('answers a logout with a quick 503, never a 500, and leaves the session as it was', async () => {
    const signedIn = await signIn(stack.api.url);
    const started = Date.now();
    const logout = await new ApiClient(broken.url, signedIn.accessToken).post('/auth/logout');
    expect(logout.status).toBe(503);
    expect(logout.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(5000);
    const [session] = await stack.database.query<{ revoked_at: Date | null }>(
      'SELECT revoked_at FROM sessions WHERE id = $1',
      [sessionOf(signedIn)],
    );
    expect(session.revoked_at).toBeNull();
    expect((await new ApiClient(stack.api.url, signedIn.accessToken).get('/user/me')).status).toBe(200);
  });
});
