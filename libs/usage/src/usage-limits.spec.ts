import { loadConfig } from '@app/config';
import { effectiveLimits, tokensRemaining } from './usage-limits';

const { limits } = loadConfig({
  JWT_SECRET_KEY: 'a-test-secret-that-is-longer-than-32-characters',
  BASIC_DAILY_LIMIT: '5',
  PRO_DAILY_LIMIT: '1000',
  BASIC_MONTHLY_TOKENS: '1000',
  PRO_MONTHLY_TOKENS: '0',
});

describe('effective limits', () => {
  it("are the tier's without overrides", () => {
    expect(effectiveLimits(limits, 'basic', null)).toEqual({
      dailyPrompts: 5,
      monthlyTokens: 1000,
      overridden: { dailyPrompts: false, monthlyTokens: false },
    });
    expect(effectiveLimits(limits, 'pro', undefined)).toMatchObject({ dailyPrompts: 1000, monthlyTokens: 0 });
  });

  it('take an operator override, higher or lower, one limit at a time', () => {
    expect(effectiveLimits(limits, 'basic', { dailyPrompts: 50, monthlyTokens: null })).toEqual({
      dailyPrompts: 50,
      monthlyTokens: 1000,
      overridden: { dailyPrompts: true, monthlyTokens: false },
    });
    expect(effectiveLimits(limits, 'pro', { dailyPrompts: null, monthlyTokens: 10 })).toMatchObject({
      dailyPrompts: 1000,
      monthlyTokens: 10,
    });
  });

  it('leave nothing of a budget that reservations and use have taken, and no number for an unlimited one', () => {
    expect(tokensRemaining(1000, { usedTokens: 600, reservedTokens: 300 })).toBe(100);
    expect(tokensRemaining(1000, { usedTokens: 990, reservedTokens: 300 })).toBe(0);
    expect(tokensRemaining(0, { usedTokens: 5, reservedTokens: 0 })).toBeUndefined();
  });
});
