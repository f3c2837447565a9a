import { plainToInstance } from 'class-transformer';
import { isIP } from 'node:net';
import { validateSync, ValidationError } from 'class-validator';
import { Environment, LogLevel } from './environment';
import { weakSecretReason } from './secret-strength';

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** The subscription tiers as configuration names them (the values of the users table's tier). */
export type TierName = 'basic' | 'pro';

/** The typed, validated configuration both apps receive through dependency injection. */
export interface AppConfig {
  nodeEnv: Environment['NODE_ENV'];
  /** Lowest level written to the logs of both apps: `info`, or `error` under NODE_ENV=test, unless LOG_LEVEL says. */
  logLevel: LogLevel;
  /**
   * The api writes one line per request that failed (5xx: error), was refused (4xx: info) or took at least this
   * long (info); other requests, health and metrics probes among them, only at `debug`.
   */
  slowRequestLogMs: number;
  port: number;
  bodyLimitBytes: number;
  corsOrigins: string[];
  /** Fastify's trustProxy: false, a hop count, or the proxies' addresses; never `true` (see parseTrustProxy). */
  trustProxy: false | number | string[];
  databaseUrl: string;
  databasePoolSize: number;
  redis: { url: string; prefix: string };
  auth: {
    jwtSecret: string;
    accessTokenTtlSeconds: number;
    refreshTokenTtlDays: number;
    otpTtlSeconds: number;
    otpInResponse: boolean;
    otpResendCooldownSeconds: number;
    otpHourlyLimit: number;
    otpIpHourlyLimit: number;
    rateLimitPerMinute: number;
    failureLimitPerMinute: number;
    passwordFailuresBeforeDelay: number;
    passwordMaxDelaySeconds: number;
  };
  gemini: {
    apiKey?: string;
    baseUrl?: string;
    /** The default model: what a chatroom without a model of its own uses, on every tier. */
    model: string;
    /** Every model a chatroom may be set to (the allowlist); includes `model`. */
    models: string[];
    /** The models each tier may choose, each list within `models` and including `model`. */
    tierModels: Record<TierName, string[]>;
    /** The highest output-token cap a chatroom may set, and what every reply is capped to, per tier. */
    tierMaxOutputTokens: Record<TierName, number>;
    /** Titles for chatrooms created without one; `enabled: false` keeps the default title. */
    titles: { enabled: boolean; model: string; maxOutputTokens: number; timeoutMs: number };
    systemInstruction?: string;
    maxOutputTokens: number;
    historyCharBudget: number;
    timeoutMs: number;
    maxAttempts: number;
    retryBaseDelayMs: number;
  };
  worker: {
    concurrency: number;
    healthPort: number;
    lockDurationMs: number;
    reconcileIntervalSeconds: number;
    pruneIntervalSeconds: number;
    pruneRetentionDays: number;
  };
  chat: {
    chatroomCacheTtlSeconds: number;
    maxChatroomsPerUser: number;
    replyStaleAfterSeconds: number;
  };
  /** Open SSE streams plus `?wait` requests: per user across all api processes, and per api process. */
  streams: { maxPerUser: number; maxPerProcess: number };
  limits: {
    basicDailyLimit: number;
    proDailyLimit: number;
    /** Monthly token budgets; 0 means unlimited. */
    monthlyTokens: Record<TierName, number>;
    ratePerMinute: number;
  };
  stripe: {
    apiKey?: string;
    webhookSecret?: string;
    proPriceId?: string;
    apiBaseUrl?: string;
    successUrl: string;
    cancelUrl: string;
    portalReturnUrl: string;
    pastDueGraceDays: number;
    webhookBodyLimitBytes: number;
  };
  observability: {
    /** Bearer token Prometheus must present to read `/metrics`; without one, `/metrics` is off (404). */
    metricsToken?: string;
    /** Basic-auth credential of the queue dashboard at `/admin/queues`; without a password it is off (404). */
    queueDashboard: { username: string; password?: string };
  };
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? message : `${error.property}: ${message}`,
    ),
  );
}

const IPV4_OR_V6_CIDR = /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/;

/**
 * TRUST_PROXY as Fastify's trustProxy option. `true` is refused: it trusts X-Forwarded-For from anyone, so a client
 * could pick the address every per-IP limit counts.
 */
export function parseTrustProxy(value: string | undefined): {
  trustProxy?: AppConfig['trustProxy'];
  problem?: string;
} {
  const trimmed = value?.trim().toLowerCase();
  if (!trimmed || trimmed === 'false' || trimmed === '0') return { trustProxy: false };
  if (trimmed === 'true') {
    return {
      problem:
        'TRUST_PROXY=true would trust X-Forwarded-For from any client, which could then dodge every per-IP limit; give the number of proxies in front of the api (e.g. 1) or their addresses (e.g. 10.0.0.0/8,127.0.0.1)',
    };
  }
  if (/^\d+$/.test(trimmed)) return { trustProxy: Number(trimmed) };
  const entries = trimmed.split(',').map((entry) => entry.trim());
  const invalid = entries.filter((entry) => !IPV4_OR_V6_CIDR.test(entry) || isIP(entry.split('/')[0]) === 0);
  if (invalid.length > 0) {
    return {
      problem: `TRUST_PROXY must be false, a hop count or a comma-separated list of IP addresses/CIDRs; not an address: ${invalid.join(', ')}`,
    };
  }
  return { trustProxy: entries };
}

const MODEL_ID = /^[a-z0-9][a-z0-9.-]*$/;

const modelList = (value: string | undefined): string[] | undefined =>
  value
    ?.split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

/** The model allowlist and each tier's share of it, as loadConfig resolves them (defaults included). */
function resolveModels(env: Environment): { models: string[]; tierModels: Record<TierName, string[]> } {
  const models = [...new Set([env.GEMINI_MODEL, ...(modelList(env.GEMINI_MODELS) ?? [])])];
  return {
    models,
    tierModels: {
      basic: modelList(env.BASIC_MODELS) ?? [env.GEMINI_MODEL],
      pro: modelList(env.PRO_MODELS) ?? models,
    },
  };
}

function modelListProblems(env: Environment): string[] {
  const problems: string[] = [];
  const { models, tierModels } = resolveModels(env);
  const invalid = models.filter((model) => !MODEL_ID.test(model));
  if (invalid.length > 0) {
    problems.push(`GEMINI_MODELS: not model ids such as gemini-2.5-flash: ${invalid.join(', ')}`);
  }
  for (const [tier, variable] of [
    ['basic', 'BASIC_MODELS'],
    ['pro', 'PRO_MODELS'],
  ] as const) {
    const unknown = tierModels[tier].filter((model) => !models.includes(model));
    if (unknown.length > 0) {
      problems.push(`${variable}: ${unknown.join(', ')} not in GEMINI_MODELS (${models.join(', ')})`);
    }
    if (!tierModels[tier].includes(env.GEMINI_MODEL)) {
      problems.push(
        `${variable} must include GEMINI_MODEL (${env.GEMINI_MODEL}): it is what chatrooms use when their model is not available to the tier`,
      );
    }
  }
  return problems;
}

function crossFieldProblems(env: Environment, source: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [...modelListProblems(env)];
  const { problem: trustProxyProblem } = parseTrustProxy(env.TRUST_PROXY);
  if (trustProxyProblem) problems.push(trustProxyProblem);
  if (env.NODE_ENV === 'production' && env.OTP_IN_RESPONSE && source.OTP_IN_RESPONSE === undefined) {
    problems.push(
      'OTP_IN_RESPONSE: OTPs are returned in API responses (mocked delivery); in production set OTP_IN_RESPONSE=true explicitly to accept that, or false',
    );
  }
  const weakSecret = env.NODE_ENV === 'production' ? weakSecretReason(env.JWT_SECRET_KEY) : undefined;
  if (weakSecret) {
    problems.push(
      `JWT_SECRET_KEY: refused in production because ${weakSecret}; generate one with: openssl rand -base64 48`,
    );
  }
  if (env.STRIPE_API_KEY && !env.STRIPE_WEBHOOK_SECRET) {
    problems.push('STRIPE_WEBHOOK_SECRET: required when STRIPE_API_KEY is set (webhooks must be verified)');
  }
  if (env.STRIPE_API_KEY && !env.STRIPE_PRO_PRICE_ID) {
    problems.push('STRIPE_PRO_PRICE_ID: required when STRIPE_API_KEY is set');
  }
  return problems;
}

/**
 * Reads and validates the environment once. Every bad variable is reported together, so a broken `.env` is fixed
 * in one pass instead of one crash at a time.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const env = plainToInstance(Environment, { ...source }, { exposeDefaultValues: true });
  const problems = describe(validateSync(env, { whitelist: false, skipMissingProperties: false }));
  if (problems.length === 0) problems.push(...crossFieldProblems(env, source));
  if (problems.length > 0) throw new ConfigValidationError(problems);

  const { models, tierModels } = resolveModels(env);
  return {
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'error' : 'info'),
    slowRequestLogMs: env.LOG_SLOW_REQUEST_MS,
    port: env.PORT,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    trustProxy: parseTrustProxy(env.TRUST_PROXY).trustProxy ?? false,
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    redis: { url: env.REDIS_URL, prefix: env.REDIS_PREFIX },
    auth: {
      jwtSecret: env.JWT_SECRET_KEY,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: env.REFRESH_TOKEN_TTL_DAYS,
      otpTtlSeconds: env.OTP_TTL_SECONDS,
      otpInResponse: env.OTP_IN_RESPONSE,
      otpResendCooldownSeconds: env.OTP_RESEND_COOLDOWN_SECONDS,
      otpHourlyLimit: env.OTP_HOURLY_LIMIT,
      otpIpHourlyLimit: env.OTP_IP_HOURLY_LIMIT,
      rateLimitPerMinute: env.AUTH_RATE_LIMIT_PER_MINUTE,
      failureLimitPerMinute: env.AUTH_FAILURE_LIMIT_PER_MINUTE,
      passwordFailuresBeforeDelay: env.PASSWORD_FAILURES_BEFORE_DELAY,
      passwordMaxDelaySeconds: env.PASSWORD_MAX_DELAY_SECONDS,
    },
    gemini: {
      apiKey: env.GEMINI_API_KEY,
      baseUrl: env.GEMINI_BASE_URL,
      model: env.GEMINI_MODEL,
      models,
      tierModels,
      tierMaxOutputTokens: { basic: env.BASIC_MAX_OUTPUT_TOKENS, pro: env.PRO_MAX_OUTPUT_TOKENS },
      titles: {
        enabled: env.CHATROOM_AUTO_TITLES,
        model: env.GEMINI_TITLE_MODEL ?? env.GEMINI_MODEL,
        maxOutputTokens: env.GEMINI_TITLE_MAX_OUTPUT_TOKENS,
        timeoutMs: env.GEMINI_TITLE_TIMEOUT_MS,
      },
      systemInstruction: env.GEMINI_SYSTEM_INSTRUCTION,
      maxOutputTokens: env.GEMINI_MAX_OUTPUT_TOKENS,
      historyCharBudget: env.GEMINI_HISTORY_CHAR_BUDGET,
      timeoutMs: env.GEMINI_TIMEOUT_MS,
      maxAttempts: env.GEMINI_MAX_ATTEMPTS,
      retryBaseDelayMs: env.GEMINI_RETRY_BASE_DELAY_MS,
    },
    worker: {
      concurrency: env.WORKER_CONCURRENCY,
      healthPort: env.WORKER_HEALTH_PORT,
      lockDurationMs: env.WORKER_LOCK_DURATION_MS,
      reconcileIntervalSeconds: env.RECONCILE_INTERVAL_SECONDS,
      pruneIntervalSeconds: env.PRUNE_INTERVAL_SECONDS,
      pruneRetentionDays: env.PRUNE_RETENTION_DAYS,
    },
    chat: {
      chatroomCacheTtlSeconds: env.CHATROOM_CACHE_TTL_SECONDS,
      maxChatroomsPerUser: env.MAX_CHATROOMS_PER_USER,
      replyStaleAfterSeconds: env.REPLY_STALE_AFTER_SECONDS,
    },
    streams: { maxPerUser: env.MAX_STREAMS_PER_USER, maxPerProcess: env.MAX_STREAMS_PER_PROCESS },
    limits: {
      basicDailyLimit: env.BASIC_DAILY_LIMIT,
      proDailyLimit: env.PRO_DAILY_LIMIT,
      monthlyTokens: { basic: env.BASIC_MONTHLY_TOKENS, pro: env.PRO_MONTHLY_TOKENS },
      ratePerMinute: env.RATE_LIMIT_PER_MINUTE,
    },
    stripe: {
      apiKey: env.STRIPE_API_KEY,
      webhookSecret: env.STRIPE_WEBHOOK_SECRET,
      proPriceId: env.STRIPE_PRO_PRICE_ID,
      apiBaseUrl: env.STRIPE_API_BASE_URL,
      successUrl: env.STRIPE_SUCCESS_URL,
      cancelUrl: env.STRIPE_CANCEL_URL,
      portalReturnUrl: env.STRIPE_PORTAL_RETURN_URL,
      pastDueGraceDays: env.PAST_DUE_GRACE_DAYS,
      webhookBodyLimitBytes: env.STRIPE_WEBHOOK_BODY_LIMIT_BYTES,
    },
    observability: {
      metricsToken: env.METRICS_TOKEN,
      queueDashboard: { username: env.QUEUE_DASHBOARD_USERNAME, password: env.QUEUE_DASHBOARD_PASSWORD },
    },
  };
}

/** Loads `.env` from the working directory when present; variables already set in the environment win. */
export function loadDotEnvFile(path = '.env'): void {
  try {
    process.loadEnvFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
