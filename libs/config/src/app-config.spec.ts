import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigValidationError, loadConfig } from './app-config';

const SECRET = 'a-test-secret-that-is-longer-than-32-characters';
/** What `openssl rand -base64 48` prints: accepted in production. */
const GENERATED_SECRET = 'q3Vx9n2LkT0bZ+R7yWc1sJ4pHdA8mEoFgU6iN5tBvXrYaK/lQwCzMeSfPhDjGuIO';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('accepts .env.example as it is shipped', () => {
    const example = parseEnv(
      readFileSync(join(__dirname, '../../../.env.example'), 'utf8'),
    ) as NodeJS.ProcessEnv;
    expect(() => loadConfig(example)).not.toThrow();
  });

  it('applies documented defaults when only the required secret is set', () => {
    const config = loadConfig({ JWT_SECRET_KEY: SECRET });
    expect(config.port).toBe(3000);
    expect(config.limits.basicDailyLimit).toBe(5);
    expect(config.auth.accessTokenTtlSeconds).toBe(900);
    expect(config.chat.chatroomCacheTtlSeconds).toBe(600);
    expect(config.slowRequestLogMs).toBe(1000);
  });

  it('refuses a slow-request log threshold that is not a positive number of milliseconds', () => {
    for (const value of ['0', '-5', 'fast', '600001']) {
      expect(problemsOf({ JWT_SECRET_KEY: SECRET, LOG_SLOW_REQUEST_MS: value }).join('\n')).toContain(
        'LOG_SLOW_REQUEST_MS',
      );
    }
    expect(loadConfig({ JWT_SECRET_KEY: SECRET, LOG_SLOW_REQUEST_MS: '250' }).slowRequestLogMs).toBe(250);
  });

  it('names every bad variable in one error', () => {
    const problems = problemsOf({
      JWT_SECRET_KEY: 'short',
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      BASIC_DAILY_LIMIT: '-1',
    });
    const text = problems.join('\n');
    expect(text).toContain('JWT_SECRET_KEY');
    expect(text).toContain('PORT');
    expect(text).toContain('DATABASE_URL');
    expect(text).toContain('BASIC_DAILY_LIMIT');
  });

  it('offers GEMINI_MODEL alone by default, and every listed model to Pro unless PRO_MODELS says otherwise', () => {
    expect(loadConfig({ JWT_SECRET_KEY: SECRET }).gemini).toMatchObject({
      models: ['gemini-2.5-flash'],
      tierModels: { basic: ['gemini-2.5-flash'], pro: ['gemini-2.5-flash'] },
    });
    const config = loadConfig({ JWT_SECRET_KEY: SECRET, GEMINI_MODELS: 'gemini-2.5-flash, gemini-2.5-pro' });
    expect(config.gemini.tierModels).toEqual({
      basic: ['gemini-2.5-flash'],
      pro: ['gemini-2.5-flash', 'gemini-2.5-pro'],
    });
  });

  it('refuses tier model lists outside GEMINI_MODELS or without GEMINI_MODEL, saying which', () => {
    const text = problemsOf({
      JWT_SECRET_KEY: SECRET,
      GEMINI_MODELS: 'gemini-2.5-flash,gemini-2.5-pro,Not A Model',
      BASIC_MODELS: 'gemini-2.5-pro',
      PRO_MODELS: 'gemini-2.5-flash,gemini-3-ultra',
    }).join('\n');
    expect(text).toContain('GEMINI_MODELS: not model ids such as gemini-2.5-flash: Not A Model');
    expect(text).toContain('BASIC_MODELS must include GEMINI_MODEL (gemini-2.5-flash)');
    expect(text).toContain('PRO_MODELS: gemini-3-ultra not in GEMINI_MODELS');
  });

  it('trusts no proxy by default, and a hop count or proxy addresses when given', () => {
    expect(loadConfig({ JWT_SECRET_KEY: SECRET }).trustProxy).toBe(false);
    expect(loadConfig({ JWT_SECRET_KEY: SECRET, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ JWT_SECRET_KEY: SECRET, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
  });

  it('refuses TRUST_PROXY=true and entries that are not addresses, saying why', () => {
    expect(problemsOf({ JWT_SECRET_KEY: SECRET, TRUST_PROXY: 'true' }).join('\n')).toContain(
      'TRUST_PROXY=true would trust X-Forwarded-For from any client',
    );
    expect(problemsOf({ JWT_SECRET_KEY: SECRET, TRUST_PROXY: 'proxy.local' }).join('\n')).toContain(
      'not an address: proxy.local',
    );
  });

  it('leaves metrics and the queue dashboard off unless their credentials are set', () => {
    const config = loadConfig({ JWT_SECRET_KEY: SECRET });
    expect(config.observability).toEqual({ queueDashboard: { username: 'admin' } });
  });

  it('refuses short metrics and queue dashboard credentials', () => {
    const text = problemsOf({
      JWT_SECRET_KEY: SECRET,
      METRICS_TOKEN: 'short',
      QUEUE_DASHBOARD_PASSWORD: 'short',
    }).join('\n');
    expect(text).toContain('METRICS_TOKEN must be at least 32 characters');
    expect(text).toContain('QUEUE_DASHBOARD_PASSWORD must be at least 16 characters');
  });

  it('sizes the PostgreSQL pool from DATABASE_POOL_SIZE, 10 by default, and refuses 0', () => {
    expect(loadConfig({ JWT_SECRET_KEY: SECRET }).databasePoolSize).toBe(10);
    expect(loadConfig({ JWT_SECRET_KEY: SECRET, DATABASE_POOL_SIZE: '20' }).databasePoolSize).toBe(20);
    expect(problemsOf({ JWT_SECRET_KEY: SECRET, DATABASE_POOL_SIZE: '0' }).join('\n')).toContain(
      'DATABASE_POOL_SIZE',
    );
  });

  it('requires JWT_SECRET_KEY', () => {
    expect(problemsOf({}).join('\n')).toContain('JWT_SECRET_KEY');
  });

  it.each([
    ['the placeholder of .env.example', 'change-me-to-a-random-string-of-at-least-32-characters'],
    ['an obvious placeholder', 'my-super-secret-jwt-key-for-production-use'],
    ['a repeated character', 'x'.repeat(64)],
    ['a short repeated pattern', 'abcd'.repeat(16)],
  ])('refuses %s as JWT_SECRET_KEY in production, saying how to generate one', (_, secret) => {
    const text = problemsOf({
      JWT_SECRET_KEY: secret,
      NODE_ENV: 'production',
      OTP_IN_RESPONSE: 'false',
    }).join('\n');
    expect(text).toContain('JWT_SECRET_KEY: refused in production');
    expect(text).toContain('openssl rand -base64 48');
  });

  it('accepts a generated JWT_SECRET_KEY in production, and any long enough key elsewhere', () => {
    expect(
      problemsOf({ JWT_SECRET_KEY: GENERATED_SECRET, NODE_ENV: 'production', OTP_IN_RESPONSE: 'false' }),
    ).toEqual([]);
    expect(problemsOf({ JWT_SECRET_KEY: 'change-me-to-a-random-string-of-at-least-32-characters' })).toEqual(
      [],
    );
  });

  it('refuses to return OTPs in responses in production unless that is set explicitly', () => {
    expect(problemsOf({ JWT_SECRET_KEY: GENERATED_SECRET, NODE_ENV: 'production' }).join('\n')).toContain(
      'OTP_IN_RESPONSE',
    );
    expect(
      problemsOf({ JWT_SECRET_KEY: GENERATED_SECRET, NODE_ENV: 'production', OTP_IN_RESPONSE: 'true' }),
    ).toEqual([]);
    expect(
      problemsOf({ JWT_SECRET_KEY: GENERATED_SECRET, NODE_ENV: 'production', OTP_IN_RESPONSE: 'false' }),
    ).toEqual([]);
  });

  it('refuses a Stripe key without a webhook secret and a Pro price', () => {
    const text = problemsOf({ JWT_SECRET_KEY: SECRET, STRIPE_API_KEY: 'sk_test_1' }).join('\n');
    expect(text).toContain('STRIPE_WEBHOOK_SECRET');
    expect(text).toContain('STRIPE_PRO_PRICE_ID');
  });

  it('treats empty optional variables as unset', () => {
    const config = loadConfig({ JWT_SECRET_KEY: SECRET, GEMINI_API_KEY: '', STRIPE_API_KEY: '' });
    expect(config.gemini.apiKey).toBeUndefined();
    expect(config.stripe.apiKey).toBeUndefined();
  });
});
