import { ApiError } from '@google/genai';
import { classifyGeminiError, GeminiErrorCode } from './gemini-error';

const apiError = (status: number, body: object = {}): ApiError =>
  new ApiError({ status, message: JSON.stringify(body) });

describe('classifyGeminiError', () => {
  it.each([
    [429, GeminiErrorCode.RateLimited, true],
    [500, GeminiErrorCode.UpstreamUnavailable, true],
    [503, GeminiErrorCode.UpstreamUnavailable, true],
    [408, GeminiErrorCode.Timeout, true],
    [400, GeminiErrorCode.BadRequest, false],
    [403, GeminiErrorCode.PermissionDenied, false],
    [404, GeminiErrorCode.BadRequest, false],
  ])('classifies HTTP %i as %s (retryable: %s)', (status, code, retryable) => {
    const error = classifyGeminiError(apiError(status));
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
  });

  it('reads the retry delay Gemini asks for on a 429', () => {
    const body = {
      error: {
        code: 429,
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' }],
      },
    };
    expect(classifyGeminiError(apiError(429, body)).retryAfterMs).toBe(12_000);
  });

  it('tells a cancellation from a deadline when our own signal fired', () => {
    expect(classifyGeminiError(new Error('aborted'), 'cancelled').code).toBe(GeminiErrorCode.Cancelled);
    expect(classifyGeminiError(new Error('aborted'), 'deadline').code).toBe(GeminiErrorCode.Timeout);
  });

  it('treats network failures as retryable', () => {
    const error = classifyGeminiError(new TypeError('fetch failed'));
    expect(error.code).toBe(GeminiErrorCode.NetworkError);
    expect(error.retryable).toBe(true);
  });
});
