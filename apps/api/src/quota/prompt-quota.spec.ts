import { nextUtcMidnight, quotaHeaders, utcDay } from './prompt-quota.service';

describe('daily quota window', () => {
  it('is the UTC calendar day', () => {
    expect(utcDay(new Date('2026-11-24T23:59:59.999Z'))).toBe('2026-11-24');
    expect(utcDay(new Date('2026-11-25T00:00:00.000Z'))).toBe('2026-11-25');
  });

  it('resets at the next 00:00 UTC, also across months and years', () => {
    expect(nextUtcMidnight(new Date('2026-11-24T10:00:00Z')).toISOString()).toBe('2026-11-25T00:00:00.000Z');
    expect(nextUtcMidnight(new Date('2026-12-31T23:30:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('describes the quota in X-RateLimit headers with the reset as Unix seconds', () => {
    expect(quotaHeaders({ limit: 5, remaining: 2, resetsAt: new Date('2026-11-25T00:00:00Z') })).toEqual({
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '2',
      'X-RateLimit-Reset': '1795564800',
    });
  });
});
