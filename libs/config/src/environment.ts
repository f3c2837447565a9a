import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalised)) return true;
  if (['false', '0', 'no'].includes(normalised)) return false;
  return value;
};

const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const localUrl = { require_tld: false, protocols: ['http', 'https'] };

/**
 * The process environment as the apps accept it. Names follow the original FastAPI version where it had one,
 * so its `.env` keeps working. Every variable is documented in `.env.example`.
 */
export class Environment {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: LogLevel;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(600_000)
  LOG_SLOW_REQUEST_MS = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsUrl({ protocols: ['postgres', 'postgresql'], require_tld: false })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  DATABASE_POOL_SIZE = 10;

  @IsUrl({ protocols: ['redis', 'rediss'], require_tld: false })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Matches(/^[A-Za-z0-9_-]{1,32}$/, { message: 'REDIS_PREFIX may only contain letters, digits, "_" and "-"' })
  REDIS_PREFIX = 'gcb';

  @IsString()
  @MinLength(32, { message: 'JWT_SECRET_KEY must be at least 32 characters (256 bits)' })
  JWT_SECRET_KEY!: string;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(900)
  ACCESS_TOKEN_TTL_SECONDS = 900;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(30)
  REFRESH_TOKEN_TTL_DAYS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(600)
  OTP_TTL_SECONDS = 300;

  @Transform(toBool)
  @IsBoolean()
  OTP_IN_RESPONSE = true;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  OTP_RESEND_COOLDOWN_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  OTP_HOURLY_LIMIT = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  OTP_IP_HOURLY_LIMIT = 100;

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  BODY_LIMIT_BYTES = 64 * 1024;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  /** Parsed and checked by parseTrustProxy: off, a hop count, or addresses/CIDRs of the proxies. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  STRIPE_WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  GEMINI_API_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(localUrl)
  GEMINI_BASE_URL?: string;

  @Matches(/^[a-z0-9][a-z0-9.-]*$/, { message: 'GEMINI_MODEL must be a model id such as gemini-2.5-flash' })
  GEMINI_MODEL = 'gemini-2.5-flash';

  /** Checked by modelListProblems: comma-separated model ids; defaults to GEMINI_MODEL alone. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  GEMINI_MODELS?: string;

  /** The models Basic users may choose for a chatroom (a subset of GEMINI_MODELS); defaults to GEMINI_MODEL. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  BASIC_MODELS?: string;

  /** The models Pro users may choose; defaults to every model of GEMINI_MODELS. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PRO_MODELS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  GEMINI_SYSTEM_INSTRUCTION?: string;

  @Transform(toInt)
  @IsInt()
  @Min(16)
  @Max(65536)
  GEMINI_MAX_OUTPUT_TOKENS = 2048;

  /** The highest `maxOutputTokens` a chatroom of a Basic user may set (and what replies are capped to). */
  @Transform(toInt)
  @IsInt()
  @Min(16)
  @Max(65536)
  BASIC_MAX_OUTPUT_TOKENS = 2048;

  @Transform(toInt)
  @IsInt()
  @Min(16)
  @Max(65536)
  PRO_MAX_OUTPUT_TOKENS = 8192;

  /** A chatroom created without a title gets one from its first exchange, written by Gemini. */
  @Transform(toBool)
  @IsBoolean()
  CHATROOM_AUTO_TITLES = true;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9.-]*$/, {
    message: 'GEMINI_TITLE_MODEL must be a model id such as gemini-2.5-flash',
  })
  GEMINI_TITLE_MODEL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(8)
  @Max(256)
  GEMINI_TITLE_MAX_OUTPUT_TOKENS = 32;

  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(60_000)
  GEMINI_TITLE_TIMEOUT_MS = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(1_000_000)
  GEMINI_HISTORY_CHAR_BUDGET = 24000;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  GEMINI_TIMEOUT_MS = 60_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10)
  GEMINI_MAX_ATTEMPTS = 4;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  GEMINI_RETRY_BASE_DELAY_MS = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  WORKER_CONCURRENCY = 50;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  WORKER_HEALTH_PORT = 3001;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  WORKER_LOCK_DURATION_MS = 30_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  RECONCILE_INTERVAL_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  PRUNE_INTERVAL_SECONDS = 3600;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3650)
  PRUNE_RETENTION_DAYS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  CHATROOM_CACHE_TTL_SECONDS = 600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10000)
  MAX_CHATROOMS_PER_USER = 500;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  MAX_STREAMS_PER_USER = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_STREAMS_PER_PROCESS = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  REPLY_STALE_AFTER_SECONDS = 300;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  BASIC_DAILY_LIMIT = 5;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  PRO_DAILY_LIMIT = 1000;

  /** Tokens (prompt, output and thinking) a user may use per calendar month (UTC); 0 = unlimited. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000_000)
  BASIC_MONTHLY_TOKENS = 250_000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000_000)
  PRO_MONTHLY_TOKENS = 10_000_000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE = 120;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  AUTH_RATE_LIMIT_PER_MINUTE = 20;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUTH_FAILURE_LIMIT_PER_MINUTE = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  PASSWORD_FAILURES_BEFORE_DELAY = 5;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  PASSWORD_MAX_DELAY_SECONDS = 900;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  STRIPE_API_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  STRIPE_WEBHOOK_SECRET?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  STRIPE_PRO_PRICE_ID?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(localUrl)
  STRIPE_API_BASE_URL?: string;

  @IsUrl(localUrl)
  STRIPE_SUCCESS_URL = 'http://localhost:3000/docs?checkout=success';

  @IsUrl(localUrl)
  STRIPE_CANCEL_URL = 'http://localhost:3000/docs?checkout=cancel';

  @IsUrl(localUrl)
  STRIPE_PORTAL_RETURN_URL = 'http://localhost:3000/docs';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(30)
  PAST_DUE_GRACE_DAYS = 7;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'METRICS_TOKEN must be at least 32 characters' })
  METRICS_TOKEN?: string;

  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, {
    message: 'QUEUE_DASHBOARD_USERNAME may only contain letters, digits, ".", "_" and "-"',
  })
  QUEUE_DASHBOARD_USERNAME = 'admin';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'QUEUE_DASHBOARD_PASSWORD must be at least 16 characters' })
  QUEUE_DASHBOARD_PASSWORD?: string;
}
