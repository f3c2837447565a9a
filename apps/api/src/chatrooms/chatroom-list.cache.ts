import { RedisKeys } from '@app/queue';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { ApiMetrics } from '../metrics/api-metrics';
import { ChatroomResponse } from './dto/chatroom.dto';

export type CacheStatus = 'HIT' | 'MISS';

const SECOND_DELETE_DELAY_MS = 500;
/** A cache that answers slower than this is treated as down, so reads fall back to PostgreSQL quickly. */
const CACHE_TIMEOUT_MS = 250;

function withTimeout<T>(operation: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`cache did not answer within ${CACHE_TIMEOUT_MS} ms`)),
      CACHE_TIMEOUT_MS,
    );
  });
  return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A user's whole chatroom list (capped by MAX_CHATROOMS_PER_USER), cached per user under `chatrooms:{userId}`.
 * Keyed by user, never by URL, so one user's list cannot be served to another. Redis trouble degrades to a MISS
 * (read from PostgreSQL), never to an error.
 */
@Injectable()
export class ChatroomListCache implements OnModuleDestroy {
  private readonly logger = new Logger(ChatroomListCache.name);
  private readonly pendingDeletes = new Set<NodeJS.Timeout>();

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly metrics: ApiMetrics,
  ) {}

  async get(userId: string): Promise<ChatroomResponse[] | undefined> {
    try {
      const cached = (await withTimeout(this.cache.get<ChatroomResponse[]>(this.key(userId)))) ?? undefined;
      this.metrics.countCacheLookup(cached ? 'hit' : 'miss');
      return cached;
    } catch (error) {
      this.metrics.countCacheLookup('error');
      this.logger.warn({ err: error, userId }, 'Chatroom list cache read failed; reading PostgreSQL');
      return undefined;
    }
  }

  async set(userId: string, chatrooms: ChatroomResponse[]): Promise<void> {
    try {
      await withTimeout(this.cache.set(this.key(userId), chatrooms));
    } catch (error) {
      this.logger.warn({ err: error, userId }, 'Chatroom list cache write failed');
    }
  }

  /**
   * Called after a write has committed. A read that started before the commit may still put the old list back, so
   * the key is deleted a second time once such a read has had time to finish.
   */
  async invalidate(userId: string): Promise<void> {
    await this.delete(userId);
    const timer = setTimeout(() => {
      this.pendingDeletes.delete(timer);
      void this.delete(userId);
    }, SECOND_DELETE_DELAY_MS).unref();
    this.pendingDeletes.add(timer);
  }

  /**
   * A second delete firing after shutdown would make the Redis store reconnect and hold the process open. By then
   * this instance serves no more reads that could race the first delete, so the pending ones are dropped.
   */
  onModuleDestroy(): void {
    for (const timer of this.pendingDeletes) clearTimeout(timer);
    this.pendingDeletes.clear();
  }

  private async delete(userId: string): Promise<void> {
    try {
      await withTimeout(this.cache.del(this.key(userId)));
    } catch (error) {
      this.logger.error({ err: error, userId }, 'Chatroom list cache invalidation failed');
    }
  }

  private key(userId: string): string {
    return RedisKeys.chatroomListEntry(userId);
  }
}
