import { generateOtp, OtpHasher } from './otp-code';

describe('generateOtp', () => {
  it('returns six digits, zero-padded', () => {
    for (let i = 0; i < 200; i++) expect(generateOtp()).toMatch(/^\d{6}$/);
  });

  it('does not repeat a fixed code', () => {
    expect(new Set(Array.from({ length: 50 }, generateOtp)).size).toBeGreaterThan(45);
  });
});

describe('OtpHasher', () => {
  const hasher = new OtpHasher('a-server-secret-that-is-long-enough-000000');

  it('never stores the code itself', () => {
    const hash = hasher.hash('+14155550123', 'login', '123456');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain('123456');
  });

  it('matches the right code only', () => {
    const hash = hasher.hash('+14155550123', 'login', '123456');
    expect(hasher.matches(hash, '+14155550123', 'login', '123456')).toBe(true);
    expect(hasher.matches(hash, '+14155550123', 'login', '123457')).toBe(false);
  });

  it('binds a code to its number and purpose', () => {
    const hash = hasher.hash('+14155550123', 'login', '123456');
    expect(hasher.matches(hash, '+14155550124', 'login', '123456')).toBe(false);
    expect(hasher.matches(hash, '+14155550123', 'password_reset', '123456')).toBe(false);
  });

  it('depends on the server secret', () => {
    const other = new OtpHasher('another-server-secret-that-is-long-enough-1');
    expect(other.hash('+14155550123', 'login', '123456')).not.toBe(
      hasher.hash('+14155550123', 'login', '123456'),
    );
  });
});
