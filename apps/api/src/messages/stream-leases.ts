import { APP_CONFIG, AppConfig } from '@app/config';
import { REDIS, RedisKeys, RedisScript } from '@app/queue';
import { HttpStatus, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { ErrorCode, ProblemException } from '../common/problem';

/** A lease lives this long unless renewed, so a crashed api process frees its users' slots within a minute. */
const LEASE_TTL_MS = 60_000;
const RENEW_EVERY_MS = 20_000;

/** KEYS: the user's leases. ARGV: now, max, expiry, lease id, key ttl. */
const ACQUIRE = new RedisScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`);

export interface StreamLease {
  userId: string;
  id: string;
}

/**
 * Slots for open streams and `?wait` requests: at most MAX_STREAMS_PER_USER per user across every api process
 * (leases in a Redis sorted set scored by expiry, renewed while held) and MAX_STREAMS_PER_PROCESS in this one.
 */
@Injectable()
export class StreamLeases implements OnApplicationShutdown {
  private readonly held = new Map<string, StreamLease>();
  private renewal?: NodeJS.Timeout;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Throws 503 when this process is full, 429 when the user has no slot left. */
  async acquire(userId: string): Promise<StreamLease> {
    const { maxPerUser, maxPerProcess } = this.config.streams;
    if (this.held.size >= maxPerProcess) {
      throw new ProblemException(
        HttpStatus.SERVICE_UNAVAILABLE,
        ErrorCode.ServiceUnavailable,
        'This server has too many open streams; retry shortly',
        { headers: { 'Retry-After': '5' } },
      );
    }
    const lease = { userId, id: randomUUID() };
    const now = Date.now();
    const granted = await ACQUIRE.run<number>(
      this.redis,
      [this.keys.streamLeases(userId)],
      [now, maxPerUser, now + LEASE_TTL_MS, lease.id, LEASE_TTL_MS],
    );
    if (granted !== 1) {
      throw new ProblemException(
        HttpStatus.TOO_MANY_REQUESTS,
        ErrorCode.StreamLimitReached,
        `You already have ${maxPerUser} open streams or waiting requests; close one first`,
        { headers: { 'Retry-After': '5' } },
      );
    }
    this.held.set(lease.id, lease);
    this.renewal ??= setInterval(() => void this.renew(), RENEW_EVERY_MS).unref();
    return lease;
  }

  async release(lease: StreamLease): Promise<void> {
    if (!this.held.delete(lease.id)) return;
    if (this.held.size === 0) this.stopRenewal();
    // An unreleased lease expires on its own.
    await this.redis.zrem(this.keys.streamLeases(lease.userId), lease.id).catch(() => 0);
  }

  onApplicationShutdown(): void {
    this.stopRenewal();
  }

  private async renew(): Promise<void> {
    const expiry = Date.now() + LEASE_TTL_MS;
    const pipeline = this.redis.pipeline();
    for (const lease of this.held.values()) {
      const key = this.keys.streamLeases(lease.userId);
      pipeline.zadd(key, 'XX', expiry, lease.id).pexpire(key, LEASE_TTL_MS);
    }
    await pipeline.exec().catch(() => undefined);
  }

  private stopRenewal(): void {
    clearInterval(this.renewal);
    this.renewal = undefined;
  }
}
