import { REDACTED } from '@app/observability';
import { spawnApi, SpawnedApi } from './support/api';
import { signIn, SignedIn } from './support/auth';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';

describe('credentials in URLs and headers', () => {
  let stack: Stack;
  let api: SpawnedApi;
  let session: SignedIn;
  let otp: string;

  beforeAll(async () => {
    stack = await startStack({}, { worker: false });
    api = await spawnApi({ ...stack.env, LOG_LEVEL: 'info' }, { captureOutput: true });
    session = await signIn(api.url);
    const issued = await fetch(`${api.url}/auth/send-otp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        mobile: session.mobile.replace(/\d$/, (digit) => String((Number(digit) + 1) % 10)),
      }),
    });
    otp = ((await issued.json()) as { otp: string }).otp;
  }, STACK_TIMEOUT_MS);
  afterAll(async () => {
    await api?.stop();
    await stack?.stop();
  }, STACK_TIMEOUT_MS);

  it('never echoes a token sent in the query string in an error body', async () => {
    const unauthenticated = await fetch(`${api.url}/user/me?access_token=${session.accessToken}`);
    expect(unauthenticated.status).toBe(401);
    const unknownRoute = await fetch(`${api.url}/no-such-route/?access_token=${session.accessToken}`);
    expect(unknownRoute.status).toBe(404);
    const body = await unknownRoute.text();
    expect(body).toContain(`access_token=${REDACTED}`);
    expect(body).not.toContain(session.accessToken);
    expect(await unauthenticated.text()).not.toContain(session.accessToken);
  });

  it('writes no token, refresh token, OTP, password or cookie to the logs', async () => {
    const headers = {
      authorization: `Bearer ${session.accessToken}`,
      cookie: `session=${session.refreshToken}`,
    };
    const query = new URLSearchParams({
      refresh_token: session.refreshToken,
      otp,
      password: 'hunter2-correct-horse',
      token: session.accessToken,
    });
    const rejected = await fetch(`${api.url}/chatroom?${query.toString()}`, { headers });
    expect(rejected.status).toBe(400);
    expect(await rejected.text()).not.toContain(session.refreshToken);
    expect((await fetch(`${api.url}/user/me?access_token=${session.accessToken}`)).status).toBe(401);
    expect((await fetch(`${api.url}/nowhere?otp_code=${otp}`)).status).toBe(404);
    await api.stop();

    const logs = api.output();
    // The logs were captured: both requests are there, with their parameters redacted.
    expect(logs).toContain(`/chatroom?refresh_token=${REDACTED}`);
    expect(logs).toContain(`/nowhere?otp_code=${REDACTED}`);
    for (const secret of [session.accessToken, session.refreshToken, 'hunter2-correct-horse']) {
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toMatch(new RegExp(`(?<!\\d)${otp}(?!\\d)`));
  });
});
