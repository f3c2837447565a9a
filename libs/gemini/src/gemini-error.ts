import { ApiError } from '@google/genai';

export enum GeminiErrorCode {
  NotConfigured = 'GEMINI_NOT_CONFIGURED',
  RateLimited = 'RATE_LIMITED',
  UpstreamUnavailable = 'UPSTREAM_UNAVAILABLE',
  Timeout = 'TIMEOUT',
  NetworkError = 'NETWORK_ERROR',
  BadRequest = 'BAD_REQUEST',
  PermissionDenied = 'PERMISSION_DENIED',
  SafetyBlocked = 'SAFETY_BLOCKED',
  EmptyResponse = 'EMPTY_RESPONSE',
  Cancelled = 'CANCELLED',
}

const MESSAGES: Record<GeminiErrorCode, string> = {
  [GeminiErrorCode.NotConfigured]: 'Gemini is not configured: set GEMINI_API_KEY',
  [GeminiErrorCode.RateLimited]: 'Gemini rate limit reached',
  [GeminiErrorCode.UpstreamUnavailable]: 'Gemini is unavailable or overloaded',
  [GeminiErrorCode.Timeout]: 'Gemini did not answer in time',
  [GeminiErrorCode.NetworkError]: 'Could not reach Gemini',
  [GeminiErrorCode.BadRequest]: 'Gemini rejected the request',
  [GeminiErrorCode.PermissionDenied]: 'Gemini refused the API key or model',
  [GeminiErrorCode.SafetyBlocked]: 'Gemini declined to answer this prompt for safety reasons',
  [GeminiErrorCode.EmptyResponse]: 'Gemini returned an empty answer',
  [GeminiErrorCode.Cancelled]: 'The reply was cancelled',
};

const RETRYABLE = new Set([
  GeminiErrorCode.RateLimited,
  GeminiErrorCode.UpstreamUnavailable,
  GeminiErrorCode.Timeout,
  GeminiErrorCode.NetworkError,
]);

/** A failed Gemini call, classified: whether another attempt can help, and how long Gemini asked us to wait. */
export class GeminiError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: GeminiErrorCode,
    detail?: string,
    readonly retryAfterMs?: number,
  ) {
    super(detail ? `${MESSAGES[code]}: ${detail}` : MESSAGES[code]);
    this.name = 'GeminiError';
    this.retryable = RETRYABLE.has(code);
  }
}

/** google.rpc.RetryInfo's `retryDelay` ("12s", "1.5s") from a Gemini error body, in milliseconds. */
function retryDelayFrom(body: string): number | undefined {
  const match = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body);
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

function codeForStatus(status: number): GeminiErrorCode {
  if (status === 429) return GeminiErrorCode.RateLimited;
  if (status === 408) return GeminiErrorCode.Timeout;
  if (status === 401 || status === 403) return GeminiErrorCode.PermissionDenied;
  if (status >= 500) return GeminiErrorCode.UpstreamUnavailable;
  return GeminiErrorCode.BadRequest;
}

/** Maps anything the SDK or fetch throws to a GeminiError. `aborted` says why our own signal fired, if it did. */
export function classifyGeminiError(error: unknown, aborted?: 'cancelled' | 'deadline'): GeminiError {
  if (error instanceof GeminiError) return error;
  if (aborted === 'cancelled') return new GeminiError(GeminiErrorCode.Cancelled);
  if (aborted === 'deadline') return new GeminiError(GeminiErrorCode.Timeout);
  if (error instanceof ApiError) {
    const code = codeForStatus(error.status);
    return new GeminiError(
      code,
      `HTTP ${error.status}`,
      code === GeminiErrorCode.RateLimited ? retryDelayFrom(error.message) : undefined,
    );
  }
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'AbortError' || name === 'TimeoutError' || /timed? ?out/i.test(message)) {
    return new GeminiError(GeminiErrorCode.Timeout, message);
  }
  return new GeminiError(GeminiErrorCode.NetworkError, message);
}
