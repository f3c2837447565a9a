import type { Cache } from 'cache-manager';
import { ApiMetrics } from '../metrics/api-metrics';
import { ChatroomListCache } from './chatroom-list.cache';

/** Records which keys were deleted, as a Redis store would see them. */
function recordingCache(): { cache: Cache; deleted: string[] } {
  const deleted: string[] = [];
  const cache = {
    del: (key: string) => {
      deleted.push(key);
      return Promise.resolve(true);
    },
  } as unknown as Cache;
  return { cache, deleted };
}

const metrics = { countCacheLookup: () => undefined } as unknown as ApiMetrics;

describe('ChatroomListCache', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('deletes a list again shortly after invalidating it, to beat a read that raced the write', async () => {
    const { cache, deleted } = recordingCache();
    await new ChatroomListCache(cache, metrics).invalidate('user-1');
    await jest.advanceTimersByTimeAsync(1000);
    expect(deleted).toEqual(['chatrooms:user-1', 'chatrooms:user-1']);
  });

  it('touches the store no more once the app shuts down', async () => {
    const { cache, deleted } = recordingCache();
    const listCache = new ChatroomListCache(cache, metrics);
    await listCache.invalidate('user-1');
    listCache.onModuleDestroy();
    await jest.advanceTimersByTimeAsync(1000);
    expect(deleted).toEqual(['chatrooms:user-1']);
  });
});
