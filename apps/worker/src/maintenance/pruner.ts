import { APP_CONFIG, AppConfig } from '@app/config';
import { REDIS, RedisKeys } from '@app/queue';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';

/** Rows deleted per statement, so a large backlog never holds locks for long. */
const BATCH = 1000;

export interface PruneCounts {
  otpChallenges: number;
  sessions: number;
  unverifiedUsers: number;
}

/**
 * What each pass deletes: rows dead for longer than PRUNE_RETENTION_DAYS, `$1` being the cutoff (now minus the
 * retention). Refresh tokens go with their session (ON DELETE CASCADE).
 */
const PRUNABLE: Record<keyof PruneCounts, { table: string; dead: string }> = {
  otpChallenges: { table: 'otp_challenges', dead: 'expires_at < $1 OR consumed_at < $1' },
  sessions: { table: 'sessions', dead: 'expires_at < $1 OR revoked_at < $1' },
  // Accounts never proven by a code belong to no one (pre-registrations from before verification existed).
  unverifiedUsers: { table: 'users', dead: 'verified_at IS NULL AND created_at < $1' },
};

/**
 * Keeps the auth tables from growing without bound: every PRUNE_INTERVAL_SECONDS one worker (under a Redis lock)
 * deletes used or expired OTP challenges, revoked or expired sessions, and never-verified accounts, once they are
 * older than the retention.
 */
@Injectable()
export class Pruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Pruner.name);
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), this.config.worker.pruneIntervalSeconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deleted row counts; undefined when another worker holds the lock or the pass failed (retried next interval). */
  async runOnce(): Promise<PruneCounts | undefined> {
    const lockMs = this.config.worker.pruneIntervalSeconds * 1000;
    try {
      if ((await this.redis.set(this.keys.pruneLock(), String(process.pid), 'PX', lockMs, 'NX')) !== 'OK') {
        return undefined;
      }
      const cutoff = new Date(Date.now() - this.config.worker.pruneRetentionDays * 86_400_000);
      const counts: PruneCounts = { otpChallenges: 0, sessions: 0, unverifiedUsers: 0 };
      for (const kind of Object.keys(PRUNABLE) as (keyof PruneCounts)[]) {
        counts[kind] = await this.deleteInBatches(PRUNABLE[kind].table, PRUNABLE[kind].dead, cutoff);
      }
      if (counts.otpChallenges + counts.sessions + counts.unverifiedUsers > 0) {
        this.logger.log(counts, 'Pruned expired auth records');
      }
      return counts;
    } catch (error) {
      this.logger.warn({ err: error }, 'Pruning pass failed; will try again');
      return undefined;
    }
  }

  private async deleteInBatches(table: string, dead: string, cutoff: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const [, deleted] = await this.dataSource.query<[unknown, number]>(
        `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${dead} LIMIT ${BATCH})`,
        [cutoff],
      );
      total += deleted;
      if (deleted < BATCH) return total;
    }
  }
}
