import { APP_CONFIG, AppConfig } from '@app/config';
import { REDIS, RedisKeys } from '@app/queue';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
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

/** A cached list as stored: its length, and its JSON exactly as `JSON.stringify` wrote it. */
export interface CachedChatroomList {
  count: number;
  json: string;
}

/**
 * `<count>:<JSON array>`; anything else (the envelope of an older version's cache store) is a miss, and is then
 * overwritten.
 */
function parseCachedList(value: string | null): CachedChatroomList | undefined {
  const count = value?.match(/^(\d+):\[/)?.[1];
  return value && count !== undefined
    ? { count: Number(count), json: value.slice(count.length + 1) }
    : undefined;
}

/**
 * A user's whole chatroom list (capped by MAX_CHATROOMS_PER_USER), cached per user under `chatrooms:{userId}` with
 * its length, as the JSON the api serves, so a page that is the whole list is answered without parsing it or
 * serialising it again. On the api's Redis connection: a list read leaves in the same write as the session checks of
 * other requests. Keyed by user, never by URL, so one user's list cannot be served to another.
 * Redis trouble degrades to a MISS (read from PostgreSQL), never to an error.
 */
@Injectable()
export class ChatroomListCache implements OnModuleDestroy {
  private readonly logger = new Logger(ChatroomListCache.name);
  private readonly pendingDeletes = new Set<NodeJS.Timeout>();
  private readonly ttlMs: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly metrics: ApiMetrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlMs = config.chat.chatroomCacheTtlSeconds * 1000;
  }

  async get(userId: string): Promise<CachedChatroomList | undefined> {
    try {
      const cached = parseCachedList(await withTimeout(this.redis.get(this.keys.chatroomList(userId))));
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
      const value = `${chatrooms.length}:${JSON.stringify(chatrooms)}`;
      await withTimeout(this.redis.set(this.keys.chatroomList(userId), value, 'PX', this.ttlMs));
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
   * A second delete firing after shutdown would use a closed connection. By then this instance serves no more reads
   * that could race the first delete, so the pending ones are dropped.
   */
  onModuleDestroy(): void {
    for (const timer of this.pendingDeletes) clearTimeout(timer);
    this.pendingDeletes.clear();
  }

  private async delete(userId: string): Promise<void> {
    try {
      await withTimeout(this.redis.del(this.keys.chatroomList(userId)));
    } catch (error) {
      this.logger.error({ err: error, userId }, 'Chatroom list cache invalidation failed');
    }
  }
}
