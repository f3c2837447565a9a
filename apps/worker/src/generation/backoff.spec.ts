import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it('grows exponentially with the attempt number', () => {
    const top = (attempt: number): number => retryDelayMs(attempt, 1000, undefined, () => 1);
    expect([top(1), top(2), top(3), top(4)]).toEqual([1000, 2000, 4000, 8000]);
  });

  it('spreads retries with jitter but keeps a floor of half the base delay', () => {
    expect(retryDelayMs(3, 1000, undefined, () => 0)).toBe(500);
    expect(retryDelayMs(3, 1000, undefined, () => 0.5)).toBe(2000);
  });

  it('is capped at one minute', () => {
    expect(retryDelayMs(20, 1000, undefined, () => 1)).toBe(60_000);
  });

  it('never retries sooner than Gemini asked', () => {
    expect(retryDelayMs(1, 100, 5000, () => 1)).toBe(5000);
  });
});
