import { APP_CONFIG, AppConfig } from '@app/config';
import { REDIS, RedisKeys } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';

const REVOKED = 'revoked';

/** Tolerated difference between our clock and the one that issued a token (another api instance). */
export const CLOCK_SKEW_SECONDS = 60;

/**
 * The per-request session check without a PostgreSQL round trip: Redis holds, per session, its user's id once
 * PostgreSQL has said it is live (for at most an access token's lifetime), or `revoked`. A revocation writes
 * `revoked` before it commits and fails when it cannot, and a live record is only ever added where none is (NX), so
 * a check that read PostgreSQL just before a revocation cannot put the session back: every api instance sees a
 * logout or a password change on the very next request. When Redis does not answer, the check asks PostgreSQL.
 */
@Injectable()
export class SessionStates {
  /** Until then every access token naming a revoked session has expired, so the marker is no longer needed. */
  private readonly revokedForMs: number;
  private readonly liveForMs: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.liveForMs = config.auth.accessTokenTtlSeconds * 1000;
    this.revokedForMs = (config.auth.accessTokenTtlSeconds + CLOCK_SKEW_SECONDS) * 1000;
  }

  /** Whether the session is live for this user: true or false when Redis knows, undefined when PostgreSQL must say. */
  async isLive(sessionId: string, userId: string): Promise<boolean | undefined> {
    const state = await this.redis.get(this.keys.sessionState(sessionId)).catch(() => null);
    return state === null ? undefined : state === userId;
  }

  /** Records what PostgreSQL said of a live session, unless a revocation got there first. Best effort. */
  rememberLive(sessionId: string, userId: string, expiresAt: Date): void {
    const ttl = Math.min(expiresAt.getTime() - Date.now(), this.liveForMs);
    if (ttl <= 0) return;
    this.redis.set(this.keys.sessionState(sessionId), userId, 'PX', ttl, 'NX').catch(() => undefined);
  }

  /** Marks sessions revoked; rejects when Redis cannot take it, so that the revocation does not commit either. */
  async markRevoked(sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of sessionIds) pipeline.set(this.keys.sessionState(id), REVOKED, 'PX', this.revokedForMs);
    const results = (await pipeline.exec()) ?? [];
    const failure = results.find(([error]) => error)?.[0];
    if (failure) throw failure;
  }
}
