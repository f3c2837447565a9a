import { VerifiedTokens } from './verified-tokens';

const subject = (expiresAt: number) => ({ userId: 'u', sessionId: 's', expiresAt });

describe('VerifiedTokens', () => {
  it('answers for a token until the second it expires, as jsonwebtoken does, then forgets it', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('token', subject(1000));
    expect(tokens.get('token', 999)).toEqual(subject(1000));
    expect(tokens.get('token', 1000)).toBeUndefined();
    expect(tokens.get('token', 999)).toBeUndefined();
  });

  it('knows only the exact token it verified', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('header.payload.signature', subject(1000));
    expect(tokens.get('header.payload.signaturf', 1)).toBeUndefined();
  });

  it('makes room by forgetting the oldest token', () => {
    const tokens = new VerifiedTokens(2);
    tokens.remember('a', subject(1000));
    tokens.remember('b', subject(1000));
    tokens.remember('c', subject(1000));
    expect([tokens.get('a', 1), tokens.get('b', 1), tokens.get('c', 1)].map(Boolean)).toEqual([
      false,
      true,
      true,
    ]);
  });
});
