import { nextUtcMidnight, nextUtcMonth, secondsUntil, utcDay, utcMonth } from './usage-period';

describe('usage periods', () => {
  it('counts days as UTC calendar days', () => {
    expect(utcDay(new Date('2026-11-24T23:59:59.999Z'))).toBe('2026-11-24');
    expect(utcDay(new Date('2026-11-25T00:00:00.000Z'))).toBe('2026-11-25');
  });

  it('resets days at the next 00:00 UTC, also across months and years', () => {
    expect(nextUtcMidnight(new Date('2026-11-24T10:00:00Z')).toISOString()).toBe('2026-11-25T00:00:00.000Z');
    expect(nextUtcMidnight(new Date('2026-12-31T23:30:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('counts months as UTC calendar months, named by their first day', () => {
    expect(utcMonth(new Date('2026-02-28T23:59:59.999Z'))).toBe('2026-02-01');
    expect(utcMonth(new Date('2026-03-01T00:00:00.000Z'))).toBe('2026-03-01');
    expect(nextUtcMonth(new Date('2026-12-15T12:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(nextUtcMonth(new Date('2028-01-31T23:00:00Z')).toISOString()).toBe('2028-02-01T00:00:00.000Z');
  });

  it('rounds a Retry-After up to whole seconds, never below one', () => {
    const now = new Date('2026-12-31T23:59:58.500Z');
    expect(secondsUntil(new Date('2027-01-01T00:00:00Z'), now)).toBe(2);
    expect(secondsUntil(now, now)).toBe(1);
  });
});
