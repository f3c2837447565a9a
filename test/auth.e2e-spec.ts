import argon2 from 'argon2';
import { createHmac } from 'node:crypto';
import { TEST_JWT_SECRET } from './support/config';
import { postJson, signIn, uniqueMobile } from './support/auth';
import { ApiClient } from './support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';

interface TokenBody {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  user: { id: string; mobile: string; tier: string; hasPassword: boolean };
}

const base64url = (value: object | string): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function forgeJwt(header: object, payload: object, secret = TEST_JWT_SECRET): string {
  const unsigned = `${base64url(header)}.${base64url(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('authentication', () => {
  let stack: Stack;
  let api: ApiClient;

  beforeAll(async () => {
    stack = await startStack({ OTP_RESEND_COOLDOWN_SECONDS: '1', OTP_HOURLY_LIMIT: '50' }, { worker: false });
    api = new ApiClient(stack.api.url);
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);

  const sendOtp = async (mobile: string): Promise<string> => {
    const response = await api.post<{ otp: string }>('/auth/send-otp', { mobile });
    expect(response.status).toBe(200);
    return response.body.otp;
  };
  const waitCooldown = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1100));
  const registerWithPassword = async (mobile: string, password: string): Promise<TokenBody> => {
    const otp = (await api.post<{ otp: string }>('/auth/signup', { mobile })).body.otp;
    const verified = await api.post<TokenBody>('/auth/verify-otp', { mobile, otp, password });
    expect(verified.status).toBe(200);
    return verified.body;
  };

  describe('signup and OTP login', () => {
    it('signs up with a code, sets the account up when the code is verified, and reads the profile', async () => {
      const mobile = uniqueMobile();
      const signup = await api.post<{ otp: string }>('/auth/signup', { mobile });
      expect(signup.status).toBe(200);
      expect(Object.keys(signup.body).sort()).toEqual(['expiresAt', 'expiresIn', 'mobile', 'otp']);

      const verified = await api.post<TokenBody & { account: string }>('/auth/verify-otp', {
        mobile,
        otp: signup.body.otp,
        name: 'Ada',
        email: 'ada@example.com',
      });
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, account: 'created' });

      const me = await api.as(verified.body.accessToken).get('/user/me');
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ mobile, name: 'Ada', email: 'ada@example.com', tier: 'basic' });
      expect(JSON.stringify(me.body)).not.toMatch(/hash|password_|tokenVersion/i);
    });

    it('normalises mobile numbers to E.164', async () => {
      const response = await api.post('/auth/signup', { mobile: '+91 98 7654 3210' });
      expect([200, 429]).toContain(response.status);
      if (response.status === 200) expect(response.body.mobile).toBe('+919876543210');
    });

    it('answers signup alike for registered and unregistered numbers, with no tokens and no account', async () => {
      const registered = (await signIn(stack.api.url)).mobile;
      await waitCooldown();
      const unregistered = uniqueMobile();
      const known = await api.post('/auth/signup', { mobile: registered });
      const unknown = await api.post('/auth/signup', { mobile: unregistered });
      expect(known.status).toBe(200);
      expect(unknown.status).toBe(200);
      expect(Object.keys(known.body).sort()).toEqual(Object.keys(unknown.body).sort());
      expect(JSON.stringify(known.body)).not.toMatch(/token/i);
      const rows = await stack.database.query('SELECT 1 FROM users WHERE mobile = $1', [unregistered]);
      expect(rows).toHaveLength(0);
    });

    it('rejects invalid numbers, unknown properties and short passwords with per-field errors', async () => {
      const bad = await api.post<{ code: string; errors: { field: string }[] }>('/auth/verify-otp', {
        mobile: '12345',
        otp: '123456',
        tier: 'pro',
        password: 'short',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      const fields = bad.body.errors.map((error) => error.field);
      expect(fields).toEqual(expect.arrayContaining(['mobile', 'tier', 'password']));
    });

    it.each(['+1415555012', '+999999999999999'])(
      'accepts only numbers libphonenumber calls valid, not merely possible: %s',
      async (mobile) => {
        for (const path of ['/auth/signup', '/auth/send-otp', '/auth/login']) {
          const response = await api.post(path, { mobile, password: 'whatever you like' });
          expect(response.status).toBe(400);
          expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
        }
      },
    );

    it('answers a non-JSON body with 415', async () => {
      const response = await fetch(`${stack.api.url}/auth/send-otp`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'mobile=+14155550123',
      });
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    });

    it('registers an unknown number on its first verified OTP (login-or-register)', async () => {
      const mobile = uniqueMobile();
      const verified = await api.post<TokenBody>('/auth/verify-otp', { mobile, otp: await sendOtp(mobile) });
      expect(verified.status).toBe(200);
      expect(verified.body.user.mobile).toBe(mobile);
    });

    it('answers send-otp and forgot-password alike whether or not the number is registered', async () => {
      const registered = (await signIn(stack.api.url)).mobile;
      await waitCooldown();
      for (const path of ['/auth/send-otp', '/auth/forgot-password']) {
        const known = await api.post(path, { mobile: registered });
        const unknown = await api.post(path, { mobile: uniqueMobile() });
        expect(known.status).toBe(unknown.status);
        expect(Object.keys(known.body).sort()).toEqual(Object.keys(unknown.body).sort());
      }
    });
  });

  describe('account ownership: a number owns an account only once proven by a code', () => {
    /** An account as the old signup left it: registered by anyone, with a password and a session, never proven. */
    const preRegistered = async (mobile: string, password: string): Promise<{ sessionToken: string }> => {
      const [user] = await stack.database.query<{ id: string }>(
        `INSERT INTO users (mobile, name, password_hash) VALUES ($1, 'Mallory', $2) RETURNING id`,
        [mobile, await argon2.hash(password, { type: argon2.argon2id })],
      );
      const [session] = await stack.database.query<{ id: string }>(
        `INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + interval '1 day') RETURNING id`,
        [user.id],
      );
      const now = Math.floor(Date.now() / 1000);
      const sessionToken = forgeJwt(
        { alg: 'HS256', typ: 'JWT' },
        {
          sub: user.id,
          sid: session.id,
          typ: 'access',
          iss: 'gemini-chat-backend',
          aud: 'gemini-chat-api',
          iat: now,
          exp: now + 600,
        },
      );
      return { sessionToken };
    };

    it('gives nothing to whoever pre-registered a number: no password login, no session', async () => {
      const mobile = uniqueMobile();
      const { sessionToken } = await preRegistered(mobile, 'attacker password');
      const login = await api.post('/auth/login', { mobile, password: 'attacker password' });
      expect(login.status).toBe(401);
      expect(login.body).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      expect((await api.as(sessionToken).get('/user/me')).status).toBe(401);
    });

    it("lets the owner's first code claim the account: the earlier password, name and sessions are gone", async () => {
      const mobile = uniqueMobile();
      await preRegistered(mobile, 'attacker password');
      const claimed = await api.post<TokenBody & { account: string }>('/auth/verify-otp', {
        mobile,
        otp: await sendOtp(mobile),
        password: 'owner password 1',
      });
      expect(claimed.status).toBe(200);
      expect(claimed.body.account).toBe('claimed');
      expect(claimed.body.user).toMatchObject({ mobile, hasPassword: true, name: null });

      expect((await api.post('/auth/login', { mobile, password: 'attacker password' })).status).toBe(401);
      expect((await api.post('/auth/login', { mobile, password: 'owner password 1' })).status).toBe(200);
      const sessions = await stack.database.query<{ revoked_reason: string | null }>(
        `SELECT revoked_reason FROM sessions JOIN users ON users.id = sessions.user_id
          WHERE users.mobile = $1 ORDER BY sessions.created_at LIMIT 1`,
        [mobile],
      );
      expect(sessions[0].revoked_reason).toBe('number_proven');
    });

    it('ignores the name and password sent with a code for an account already proven', async () => {
      const first = await signIn(stack.api.url);
      await waitCooldown();
      const again = await api.post<TokenBody & { account: string }>('/auth/verify-otp', {
        mobile: first.mobile,
        otp: await sendOtp(first.mobile),
        name: 'Someone else',
        password: 'a password nobody asked for',
      });
      expect(again.status).toBe(200);
      expect(again.body.account).toBe('existing');
      expect(again.body.user).toMatchObject({ name: null, hasPassword: false });
      expect((await api.as(first.accessToken).get('/user/me')).status).toBe(200);
    });
  });

  describe('OTP rules', () => {
    it('stores only a hash of the code', async () => {
      const mobile = uniqueMobile();
      const otp = await sendOtp(mobile);
      const rows = await stack.database.query<{ code_hash: string }>(
        'SELECT code_hash FROM otp_challenges WHERE mobile = $1',
        [mobile],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(rows[0].code_hash).not.toContain(otp);
    });

    it('accepts a code once only', async () => {
      const mobile = uniqueMobile();
      const otp = await sendOtp(mobile);
      expect((await api.post('/auth/verify-otp', { mobile, otp })).status).toBe(200);
      const again = await api.post('/auth/verify-otp', { mobile, otp });
      expect(again.status).toBe(401);
      expect(again.body).toMatchObject({ code: 'INVALID_OTP' });
    });

    it('lets exactly one of 10 concurrent verifications of the right code succeed', async () => {
      const mobile = uniqueMobile();
      const otp = await sendOtp(mobile);
      const statuses = await Promise.all(
        Array.from(
          { length: 10 },
          async () => (await postJson(`${stack.api.url}/auth/verify-otp`, { mobile, otp })).status,
        ),
      );
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 401)).toHaveLength(9);
    });

    it('rejects an expired code like a wrong one', async () => {
      const mobile = uniqueMobile();
      const otp = await sendOtp(mobile);
      await stack.database.query(
        `UPDATE otp_challenges SET expires_at = now() - interval '1 second' WHERE mobile = $1`,
        [mobile],
      );
      const response = await api.post('/auth/verify-otp', { mobile, otp });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'INVALID_OTP' });
    });

    it('kills a code after 5 wrong tries', async () => {
      const mobile = uniqueMobile();
      const otp = await sendOtp(mobile);
      const wrong = otp === '000000' ? '111111' : '000000';
      for (let attempt = 0; attempt < 5; attempt++) {
        expect((await api.post('/auth/verify-otp', { mobile, otp: wrong })).status).toBe(401);
      }
      expect((await api.post('/auth/verify-otp', { mobile, otp })).status).toBe(401);
    });

    it('invalidates the previous code when a new one is issued', async () => {
      const mobile = uniqueMobile();
      const first = await sendOtp(mobile);
      await waitCooldown();
      const second = await sendOtp(mobile);
      if (first !== second)
        expect((await api.post('/auth/verify-otp', { mobile, otp: first })).status).toBe(401);
      expect((await api.post('/auth/verify-otp', { mobile, otp: second })).status).toBe(200);
    });

    it('binds a code to its purpose: a login code cannot reset a password, nor the reverse', async () => {
      const mobile = uniqueMobile();
      const loginCode = await sendOtp(mobile);
      const reset = await api.post('/auth/reset-password', {
        mobile,
        otp: loginCode,
        newPassword: 'a brand new password',
      });
      expect(reset.status).toBe(401);

      const resetCode = (await api.post<{ otp: string }>('/auth/forgot-password', { mobile })).body.otp;
      expect((await api.post('/auth/verify-otp', { mobile, otp: resetCode })).status).toBe(401);
      expect((await api.post('/auth/verify-otp', { mobile, otp: loginCode })).status).toBe(200);
    });

    it('throttles code requests per number with 429 and Retry-After', async () => {
      const mobile = uniqueMobile();
      await sendOtp(mobile);
      const throttled = await api.post('/auth/send-otp', { mobile });
      expect(throttled.status).toBe(429);
      expect(throttled.body).toMatchObject({ code: 'OTP_RATE_LIMITED' });
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  describe('passwords', () => {
    it('logs in with a password set when the signup code was verified, stored as argon2id', async () => {
      const mobile = uniqueMobile();
      await registerWithPassword(mobile, 'correct horse battery');
      const [row] = await stack.database.query<{ password_hash: string }>(
        'SELECT password_hash FROM users WHERE mobile = $1',
        [mobile],
      );
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect((await api.post('/auth/login', { mobile, password: 'correct horse battery' })).status).toBe(200);
    });

    it('answers a wrong password, an unknown number and a passwordless account with the same 401', async () => {
      const withPassword = uniqueMobile();
      await registerWithPassword(withPassword, 'correct horse battery');
      const passwordless = (await signIn(stack.api.url)).mobile;
      const answers = await Promise.all([
        api.post('/auth/login', { mobile: withPassword, password: 'wrong password!' }),
        api.post('/auth/login', { mobile: uniqueMobile(), password: 'whatever you like' }),
        api.post('/auth/login', { mobile: passwordless, password: 'whatever you like' }),
      ]);
      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect(answer.body).toMatchObject({
          code: 'INVALID_CREDENTIALS',
          detail: 'Mobile number or password is wrong',
        });
      }
    });

    it('delays password guesses per account after 5 wrong ones, whatever address they come from', async () => {
      const mobile = uniqueMobile();
      await registerWithPassword(mobile, 'correct horse battery');
      const guess = (index: number) =>
        api.post(
          '/auth/login',
          { mobile, password: `wrong guess ${index}` },
          { 'x-forwarded-for': `203.0.113.${index}` },
        );
      const statuses: number[] = [];
      for (let index = 0; index < 8; index++) statuses.push((await guess(index)).status);
      expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
      const refused = await guess(99);
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 'TOO_MANY_PASSWORD_ATTEMPTS' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // Even the right password waits its turn, but a code still logs the owner in.
      expect((await api.post('/auth/login', { mobile, password: 'correct horse battery' })).status).toBe(429);
      await waitCooldown();
      const otp = await sendOtp(mobile);
      expect((await api.post('/auth/verify-otp', { mobile, otp })).status).toBe(200);
    });

    it('resets a password with a reset code and ends every session', async () => {
      const session = await signIn(stack.api.url);
      await waitCooldown();
      const code = (await api.post<{ otp: string }>('/auth/forgot-password', { mobile: session.mobile })).body
        .otp;
      const reset = await api.post('/auth/reset-password', {
        mobile: session.mobile,
        otp: code,
        newPassword: 'reset password 123',
      });
      expect(reset.status).toBe(204);
      expect((await api.as(session.accessToken).get('/user/me')).status).toBe(401);
      expect((await api.post('/auth/refresh', { refreshToken: session.refreshToken })).status).toBe(401);
      expect(
        (await api.post('/auth/login', { mobile: session.mobile, password: 'reset password 123' })).status,
      ).toBe(200);
    });

    it('changes a password: needs the current one once set, and ends the other sessions only', async () => {
      const first = await signIn(stack.api.url);
      await waitCooldown();
      const second = await signIn(stack.api.url, first.mobile);
      const setFirst = await api
        .as(first.accessToken)
        .post('/auth/change-password', { newPassword: 'first password 1' });
      expect(setFirst.status).toBe(204);

      const missing = await api
        .as(first.accessToken)
        .post('/auth/change-password', { newPassword: 'second password 2' });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({ code: 'CURRENT_PASSWORD_REQUIRED' });
      const wrong = await api.as(first.accessToken).post('/auth/change-password', {
        currentPassword: 'not it at all',
        newPassword: 'second password 2',
      });
      expect(wrong.status).toBe(401);

      expect((await api.as(first.accessToken).get('/user/me')).status).toBe(200);
      expect((await api.as(second.accessToken).get('/user/me')).status).toBe(401);
      expect((await api.post('/auth/refresh', { refreshToken: second.refreshToken })).status).toBe(401);
    });
  });

  describe('tokens and sessions', () => {
    it('rotates refresh tokens: the new pair works, the old refresh token does not', async () => {
      const session = await signIn(stack.api.url);
      const rotated = await api.post<TokenBody>('/auth/refresh', { refreshToken: session.refreshToken });
      expect(rotated.status).toBe(200);
      expect(rotated.body.refreshToken).not.toBe(session.refreshToken);
      expect((await api.as(rotated.body.accessToken).get('/user/me')).status).toBe(200);
    });

    it('revokes the whole session when a rotated refresh token is reused', async () => {
      const session = await signIn(stack.api.url);
      const rotated = await api.post<TokenBody>('/auth/refresh', { refreshToken: session.refreshToken });
      const reuse = await api.post('/auth/refresh', { refreshToken: session.refreshToken });
      expect(reuse.status).toBe(401);
      expect(reuse.body).toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
      expect((await api.post('/auth/refresh', { refreshToken: rotated.body.refreshToken })).status).toBe(401);
      expect((await api.as(rotated.body.accessToken).get('/user/me')).status).toBe(401);
    });

    it('lets exactly one of two concurrent refreshes succeed', async () => {
      const session = await signIn(stack.api.url);
      const statuses = await Promise.all(
        [0, 1].map(
          async () =>
            (await postJson(`${stack.api.url}/auth/refresh`, { refreshToken: session.refreshToken })).status,
        ),
      );
      expect(statuses.sort()).toEqual([200, 401]);
    });

    it('stores refresh tokens hashed', async () => {
      const session = await signIn(stack.api.url);
      const rows = await stack.database.query<{ token_hash: string }>(
        'SELECT token_hash FROM refresh_tokens',
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((row) => row.token_hash)).not.toContain(session.refreshToken);
    });

    it('logs out: the access and refresh tokens of that session stop working at once', async () => {
      const session = await signIn(stack.api.url);
      expect((await api.as(session.accessToken).post('/auth/logout')).status).toBe(204);
      expect((await api.as(session.accessToken).get('/user/me')).status).toBe(401);
      expect((await api.post('/auth/refresh', { refreshToken: session.refreshToken })).status).toBe(401);
    });

    it('accepts a logout with content-type application/json and an empty body', async () => {
      const session = await signIn(stack.api.url);
      const response = await fetch(`${stack.api.url}/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
      });
      expect(response.status).toBe(204);
      const refused = await fetch(`${stack.api.url}/auth/send-otp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      expect(refused.status).toBe(400);
    });

    describe('rejects bad access tokens with 401', () => {
      let valid: { sub: string; sid: string };
      beforeAll(async () => {
        const session = await signIn(stack.api.url);
        const payload = JSON.parse(
          Buffer.from(session.accessToken.split('.')[1], 'base64url').toString(),
        ) as { sub: string; sid: string };
        valid = { sub: payload.sub, sid: payload.sid };
      });
      const now = (): number => Math.floor(Date.now() / 1000);
      const claims = (extra: object = {}): object => ({
        ...valid,
        typ: 'access',
        iss: 'gemini-chat-backend',
        aud: 'gemini-chat-api',
        iat: now(),
        exp: now() + 600,
        ...extra,
      });
      const cases: [string, () => string][] = [
        ['no token', () => ''],
        ['a malformed token', () => 'not.a.jwt'],
        ['an expired token', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims({ exp: now() - 10 }))],
        [
          'a token signed with another key',
          () =>
            forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims(), 'another-secret-another-secret-another-secret'),
        ],
        ['an alg:none token', () => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims())}.`],
        [
          'an HS512 token',
          () => {
            const unsigned = `${base64url({ alg: 'HS512', typ: 'JWT' })}.${base64url(claims())}`;
            return `${unsigned}.${createHmac('sha512', TEST_JWT_SECRET).update(unsigned).digest('base64url')}`;
          },
        ],
        [
          'a tampered payload',
          () => {
            const [header, , signature] = forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims()).split('.');
            return `${header}.${base64url(claims({ sub: '00000000-0000-4000-8000-000000000000' }))}.${signature}`;
          },
        ],
        ['a token of another type', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims({ typ: 'refresh' }))],
        ['a token without exp', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims({ exp: undefined }))],
        ['a token without iat', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims({ iat: undefined }))],
        [
          'a token living longer than the api issues',
          () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims({ exp: now() + 901 })),
        ],
        [
          'a token issued in the future',
          () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims({ iat: now() + 3600, exp: now() + 3900 })),
        ],
        [
          'a token whose sid is not a UUID',
          () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims({ sid: 'x' })),
        ],
        [
          'a token whose sub is not a UUID',
          () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims({ sub: '1' })),
        ],
        [
          'a token for another audience',
          () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims({ aud: 'someone-else' })),
        ],
      ];
      it.each(cases)('%s', async (_name, token) => {
        const value = token();
        const response = await api.get('/user/me', value ? { authorization: `Bearer ${value}` } : {});
        expect(response.status).toBe(401);
        expect(response.body).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      });

      it('a correctly forged token is accepted (the cases above fail for their own reason)', async () => {
        const response = await api.get('/user/me', {
          authorization: `Bearer ${forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims())}`,
        });
        expect(response.status).toBe(200);
      });

      it('a refresh token used as a bearer token', async () => {
        const session = await signIn(stack.api.url);
        expect((await api.get('/user/me', { authorization: `Bearer ${session.refreshToken}` })).status).toBe(
          401,
        );
      });

      it('a token passed in the query string instead of the header', async () => {
        const session = await signIn(stack.api.url);
        expect((await api.get(`/user/me?access_token=${session.accessToken}`)).status).toBe(401);
      });
    });
  });
});
