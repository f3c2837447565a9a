import { Tier } from '@app/database';
import { tierForSubscription } from './tier-policy';

describe('tierForSubscription', () => {
  const now = new Date('2026-11-24T12:00:00Z');

  it.each([
    ['active', Tier.Pro],
    ['trialing', Tier.Pro],
    ['canceled', Tier.Basic],
    ['unpaid', Tier.Basic],
    ['incomplete', Tier.Basic],
    ['incomplete_expired', Tier.Basic],
    ['paused', Tier.Basic],
    ['a_status_stripe_adds_later', Tier.Basic],
  ])('maps %s to %s', (status, tier) => {
    expect(tierForSubscription(status, null, now, 7)).toBe(tier);
  });

  it('keeps Pro while past_due within the grace period', () => {
    expect(tierForSubscription('past_due', new Date('2026-11-20T12:00:00Z'), now, 7)).toBe(Tier.Pro);
  });

  it('falls back to Basic once the past_due grace period is over', () => {
    expect(tierForSubscription('past_due', new Date('2026-11-10T12:00:00Z'), now, 7)).toBe(Tier.Basic);
  });

  it('gives no grace when the grace period is zero days', () => {
    expect(tierForSubscription('past_due', now, now, 0)).toBe(Tier.Basic);
  });
});
