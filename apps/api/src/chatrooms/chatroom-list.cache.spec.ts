import { AppConfig } from '@app/config';
import { RedisKeys } from '@app/queue';
import type Redis from 'ioredis';
import { ApiMetrics } from '../metrics/api-metrics';
import { ChatroomListCache } from './chatroom-list.cache';

/** Records which keys were deleted, as Redis would see them, and answers reads with `stored`. */
function recordingRedis(stored: Record<string, string> = {}): { redis: Redis; deleted: string[] } {
  const deleted: string[] = [];
  const redis = {
    del: (key: string) => {
      deleted.push(key);
      return Promise.resolve(1);
    },
    get: (key: string) => Promise.resolve(stored[key] ?? null),
  } as unknown as Redis;
  return { redis, deleted };
}

const metrics = { countCacheLookup: () => undefined } as unknown as ApiMetrics;
const config = { chat: { chatroomCacheTtlSeconds: 600 } } as AppConfig;
const keys = new RedisKeys('test');
const cacheOver = (redis: Redis): ChatroomListCache => new ChatroomListCache(redis, keys, metrics, config);

describe('ChatroomListCache', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('deletes a list again shortly after invalidating it, to beat a read that raced the write', async () => {
    const { redis, deleted } = recordingRedis();
    await cacheOver(redis).invalidate('user-1');
    await jest.advanceTimersByTimeAsync(1000);
    expect(deleted).toEqual(['test:chatrooms:user-1', 'test:chatrooms:user-1']);
  });

  it('touches Redis no more once the app shuts down', async () => {
    const { redis, deleted } = recordingRedis();
    const listCache = cacheOver(redis);
    await listCache.invalidate('user-1');
    listCache.onModuleDestroy();
    await jest.advanceTimersByTimeAsync(1000);
    expect(deleted).toEqual(['test:chatrooms:user-1']);
  });

  it('takes what an older version stored under the key (not a counted list) for a miss', async () => {
    const envelope = JSON.stringify({ value: [{ id: 'room' }], expires: Date.now() + 60_000 });
    const { redis } = recordingRedis({
      'test:chatrooms:old': envelope,
      'test:chatrooms:older': '[{"id":"room"}]',
      'test:chatrooms:user': '1:[{"id":"room"}]',
    });
    expect(await cacheOver(redis).get('old')).toBeUndefined();
    expect(await cacheOver(redis).get('older')).toBeUndefined();
    expect(await cacheOver(redis).get('user')).toEqual({ count: 1, json: '[{"id":"room"}]' });
  });
});
