import { AppConfig, TierName } from '@app/config';

/** An operator's per-user overrides of the tier's limits; null keeps the tier's. */
export interface LimitOverrides {
  dailyPrompts: number | null;
  monthlyTokens: number | null;
}

export interface EffectiveLimits {
  dailyPrompts: number;
  /** 0 means unlimited. */
  monthlyTokens: number;
  /** Which of the two an operator set for this user. */
  overridden: { dailyPrompts: boolean; monthlyTokens: boolean };
}

/** The limits that apply to a user: the operator's overrides where set, the tier's configuration otherwise. */
export function effectiveLimits(
  limits: AppConfig['limits'],
  tier: TierName,
  overrides: LimitOverrides | null | undefined,
): EffectiveLimits {
  const tierDaily = tier === 'pro' ? limits.proDailyLimit : limits.basicDailyLimit;
  const dailyPrompts = overrides?.dailyPrompts ?? null;
  const monthlyTokens = overrides?.monthlyTokens ?? null;
  return {
    dailyPrompts: dailyPrompts ?? tierDaily,
    monthlyTokens: monthlyTokens ?? limits.monthlyTokens[tier],
    overridden: { dailyPrompts: dailyPrompts !== null, monthlyTokens: monthlyTokens !== null },
  };
}

/** What is left of a monthly budget; undefined when it is unlimited. */
export function tokensRemaining(
  limit: number,
  account: { usedTokens: number; reservedTokens: number },
): number | undefined {
  return limit === 0 ? undefined : Math.max(0, limit - account.usedTokens - account.reservedTokens);
}
