import { HttpException, HttpStatus } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

/** Machine-readable error codes; clients switch on these, never on `detail` text. */
export enum ErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  MalformedJson = 'MALFORMED_JSON',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  Unauthorized = 'UNAUTHORIZED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  RateLimited = 'RATE_LIMITED',
  DailyQuotaExceeded = 'DAILY_QUOTA_EXCEEDED',
  TokenBudgetExceeded = 'TOKEN_BUDGET_EXCEEDED',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  InternalError = 'INTERNAL_ERROR',
  InvalidOtp = 'INVALID_OTP',
  OtpRateLimited = 'OTP_RATE_LIMITED',
  InvalidCredentials = 'INVALID_CREDENTIALS',
  TooManyPasswordAttempts = 'TOO_MANY_PASSWORD_ATTEMPTS',
  TooManyAuthFailures = 'TOO_MANY_AUTH_FAILURES',
  InvalidRefreshToken = 'INVALID_REFRESH_TOKEN',
  PasswordRequired = 'CURRENT_PASSWORD_REQUIRED',
  ChatroomLimitReached = 'CHATROOM_LIMIT_REACHED',
  ReplyAlreadyFinal = 'REPLY_ALREADY_FINAL',
  ReplyNotFinal = 'REPLY_NOT_FINAL',
  NotAPrompt = 'NOT_A_PROMPT',
  NotAReply = 'NOT_A_REPLY',
  ModelNotAllowed = 'MODEL_NOT_ALLOWED',
  StreamLimitReached = 'STREAM_LIMIT_REACHED',
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  AlreadyPro = 'ALREADY_PRO',
  NoSubscription = 'NO_SUBSCRIPTION',
  BillingNotConfigured = 'BILLING_NOT_CONFIGURED',
  InvalidWebhookSignature = 'INVALID_WEBHOOK_SIGNATURE',
  InvalidWebhookEvent = 'INVALID_WEBHOOK_EVENT',
  MethodNotAllowed = 'METHOD_NOT_ALLOWED',
  HeadersTooLarge = 'HEADERS_TOO_LARGE',
}

export interface ProblemOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/** An error the API means to show: its status, code and detail go to the client as problem details. */
export class ProblemException extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: ErrorCode,
    detail: string,
    readonly problem: ProblemOptions = {},
  ) {
    super(detail, status);
  }
}

export const DEFAULT_CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  405: ErrorCode.MethodNotAllowed,
  415: ErrorCode.UnsupportedMediaType,
  431: ErrorCode.HeadersTooLarge,
  429: ErrorCode.RateLimited,
  503: ErrorCode.ServiceUnavailable,
};
