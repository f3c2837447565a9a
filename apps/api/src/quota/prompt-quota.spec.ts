import { quotaHeaders } from './prompt-quota.service';

describe('daily quota headers', () => {
  it('describes the quota in X-RateLimit headers with the reset as Unix seconds', () => {
    expect(quotaHeaders({ limit: 5, remaining: 2, resetsAt: new Date('2026-11-25T00:00:00Z') })).toEqual({
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '2',
      'X-RateLimit-Reset': '1795564800',
    });
  });
});
