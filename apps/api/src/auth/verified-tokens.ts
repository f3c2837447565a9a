/** Who an access token names, once its signature and claims have been checked. */
export interface TokenSubject {
  userId: string;
  sessionId: string;
  /** The token's `exp`, in seconds since the epoch. */
  expiresAt: number;
}

/**
 * Access tokens this process has already verified, until they expire: a client sends the same token with every
 * request for its whole lifetime, and checking it again (an HMAC, two JSON parses and the claim checks) was a tenth
 * of the api's CPU on an authenticated GET (docs/benchmarks.md). Keyed by the whole token, so a token differing by
 * one character is verified on its own; bounded, the oldest entry making room. The session behind a token is still
 * checked on every request.
 */
export class VerifiedTokens {
  private readonly subjects = new Map<string, TokenSubject>();

  constructor(private readonly capacity = 10_000) {}

  /** The token's subject while it has not expired: jsonwebtoken's rule, valid while `now < exp`. */
  get(token: string, nowSeconds: number): TokenSubject | undefined {
    const subject = this.subjects.get(token);
    if (subject && nowSeconds >= subject.expiresAt) {
      this.subjects.delete(token);
      return undefined;
    }
    return subject;
  }

  remember(token: string, subject: TokenSubject): void {
    if (this.subjects.size >= this.capacity) this.subjects.delete(this.subjects.keys().next().value!);
    this.subjects.set(token, subject);
  }
}
