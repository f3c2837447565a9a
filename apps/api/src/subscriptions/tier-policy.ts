import { Tier } from '@app/database';

/** Stripe subscription statuses that grant Pro outright. */
const PRO_STATUSES = new Set(['active', 'trialing']);

/**
 * The tier a subscription grants. `past_due` keeps Pro for a grace period counted from when it became past due
 * (Stripe is still retrying the payment); every other status (canceled, unpaid, incomplete, incomplete_expired,
 * paused, or one Stripe adds later) means Basic.
 */
export function tierForSubscription(
  status: string,
  pastDueSince: Date | null,
  now: Date,
  pastDueGraceDays: number,
): Tier {
  if (PRO_STATUSES.has(status)) return Tier.Pro;
  if (status === 'past_due') {
    const since = pastDueSince ?? now;
    return now.getTime() - since.getTime() < pastDueGraceDays * 86_400_000 ? Tier.Pro : Tier.Basic;
  }
  return Tier.Basic;
}
