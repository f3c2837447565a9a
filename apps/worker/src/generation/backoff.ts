const MAX_DELAY_MS = 60_000;

/**
 * Exponential backoff with full jitter (a random delay up to base·2^(attempt-1), capped), so retries from many
 * replies spread out instead of hitting Gemini together; never sooner than the delay Gemini asked for.
 */
export function retryDelayMs(
  attemptsMade: number,
  baseDelayMs: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const ceiling = Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.max(baseDelayMs / 2, Math.round(random() * ceiling));
  return Math.max(jittered, retryAfterMs ?? 0);
}
