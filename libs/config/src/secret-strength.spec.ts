import { randomBytes } from 'node:crypto';
import { estimatedEntropyBits, MINIMUM_SECRET_BITS, weakSecretReason } from './secret-strength';

describe('weakSecretReason', () => {
  it('accepts keys generated with openssl rand -base64 48 or -hex 32', () => {
    for (let run = 0; run < 50; run++) {
      expect(weakSecretReason(randomBytes(48).toString('base64'))).toBeUndefined();
      expect(weakSecretReason(randomBytes(32).toString('hex'))).toBeUndefined();
    }
  });

  it('names the placeholder word it found', () => {
    expect(weakSecretReason('change-me-to-a-random-string-of-at-least-32-characters')).toContain(
      '"change-me"',
    );
  });

  it('reports the estimated entropy of a low-entropy key', () => {
    expect(weakSecretReason('0110'.repeat(16))).toBe(
      `it has too little entropy (about 4 bits, at least ${MINIMUM_SECRET_BITS} needed)`,
    );
  });

  it('counts a repeated pattern once', () => {
    expect(estimatedEntropyBits('abcdefghijklmnop')).toBe(64);
    expect(estimatedEntropyBits('abcdefghijklmnop'.repeat(4))).toBe(64);
  });

  it('estimates less entropy for a narrower alphabet of the same length', () => {
    expect(estimatedEntropyBits('aabbabbaabababbb')).toBeLessThan(estimatedEntropyBits('abcdefghijklmnop'));
  });
});
