/**
 * Every Redis key the apps write, in one place, each under the configured prefix so several deployments (or
 * test suites) can share one Redis without touching each other's data.
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  /** A stream of a reply's deltas, read by the SSE endpoint. */
  replyStream(replyId: string): string {
    return `${this.prefix}:reply-stream:${replyId}`;
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

  /** Held by the one worker pruning expired rows. */
  pruneLock(): string {
    return `${this.prefix}:prune-lock`;
  }
}
