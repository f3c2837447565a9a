import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';

export const OTP_MAX_FAILED_ATTEMPTS = 5;

/** Six digits from a CSPRNG: about 20 bits, enough with 5 tries per code and per-number request caps. */
export function generateOtp(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/** Hashes codes with a key derived from the JWT secret, so a database leak does not reveal live codes. */
export class OtpHasher {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'gemini-chat/otp-hmac/v1', 32));
  }

  hash(mobile: string, purpose: string, code: string): string {
    return createHmac('sha256', this.key).update(`${purpose}:${mobile}:${code}`).digest('hex');
  }

  matches(storedHash: string, mobile: string, purpose: string, code: string): boolean {
    const expected = Buffer.from(storedHash, 'hex');
    const actual = Buffer.from(this.hash(mobile, purpose, code), 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
