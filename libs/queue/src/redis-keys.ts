/**
 * Every Redis key and channel the apps name themselves, under the configured prefix so several deployments (or
 * test suites) can share one Redis without touching each other's data. BullMQ (`<prefix>:replies:*`) derives its keys
 * from the same prefix.
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  /** A reply's stream of events (format: libs/replies/src/reply-stream.protocol.ts). */
  replyStream(replyId: string): string {
    return `${this.prefix}:reply-stream:${replyId}`;
  }

  /** Set when a reply's stream takes no more deltas: `closing` (being cancelled) or `ended` (terminal written). */
  replySeal(replyId: string): string {
    return `${this.prefix}:reply-seal:${replyId}`;
  }

  /** Pub/sub channel announcing each new entry of a reply's stream to the api processes watching it. */
  replyEvents(replyId: string): string {
    return `${this.prefix}:reply-events:${replyId}`;
  }

  /** Pub/sub channel on which the api announces the ids of revoked sessions (logout, password change, reuse). */
  sessionRevokedChannel(): string {
    return `${this.prefix}:session-revoked`;
  }

  /**
   * What the api knows of a session without asking PostgreSQL: its user's id while it is live, or `revoked`
   * (written before the revocation commits). See apps/api/src/auth/session-states.ts.
   */
  sessionState(sessionId: string): string {
    return `${this.prefix}:session:${sessionId}`;
  }

  /** A user's open streams and waits: a sorted set of lease ids scored by expiry time. */
  streamLeases(userId: string): string {
    return `${this.prefix}:stream-leases:${userId}`;
  }

  /** Held by the one worker running a reconciliation pass. */
  reconcilerLock(): string {
    return `${this.prefix}:reconciler-lock`;
  }

  /** Where the api's rate-limit counters live (the throttler storage adds its own suffixes). */
  throttlePrefix(): string {
    return `${this.prefix}:throttle:`;
  }

  /** Pub/sub channel on which the api asks workers to abort a reply's generation. */
  replyCancelChannel(): string {
    return `${this.prefix}:reply-cancel`;
  }

  dailyPrompts(userId: string, day: string): string {
    return `${this.prefix}:quota:${userId}:${day}`;
  }

  otpCooldown(scope: 'mobile' | 'ip', value: string): string {
    return `${this.prefix}:otp-cooldown:${scope}:${value}`;
  }

  otpHourly(scope: 'mobile' | 'ip', value: string): string {
    return `${this.prefix}:otp-hourly:${scope}:${value}`;
  }

  /** Failed authentications (bearer tokens, operator credentials) from one client address in the current minute. */
  authFailures(ip: string): string {
    return `${this.prefix}:auth-failures:${ip}`;
  }

  /** Consecutive wrong passwords for one account, keyed by its E.164 number whether or not it is registered. */
  passwordFailures(mobile: string): string {
    return `${this.prefix}:password-failures:${mobile}`;
  }

  /** Present while password logins to the number must wait; its TTL is the wait. */
  passwordDelay(mobile: string): string {
    return `${this.prefix}:password-delay:${mobile}`;
  }

  /** A user's cached chatroom list; the worker deletes it too, when it gives a chatroom a generated title. */
  chatroomList(userId: string): string {
    return `${this.prefix}:chatrooms:${userId}`;
  }

  /** Held by the one worker pruning expired rows. */
  pruneLock(): string {
    return `${this.prefix}:prune-lock`;
  }
}
