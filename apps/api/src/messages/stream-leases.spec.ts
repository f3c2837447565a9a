import { AppConfig } from '@app/config';
import { RedisKeys } from '@app/queue';
import type Redis from 'ioredis';
import { ProblemException } from '../common/problem';
import { StreamLeases } from './stream-leases';

function leases(
  granted: number,
  maxPerProcess = 2,
): { leases: StreamLeases; redis: Record<string, jest.Mock> } {
  const redis = {
    evalsha: jest.fn().mockResolvedValue(granted),
    eval: jest.fn().mockResolvedValue(granted),
    zrem: jest.fn().mockResolvedValue(1),
  };
  const config = { streams: { maxPerUser: 3, maxPerProcess } } as unknown as AppConfig;
  return { leases: new StreamLeases(redis as unknown as Redis, new RedisKeys('p'), config), redis };
}

const statusOf = async (promise: Promise<unknown>): Promise<number> => {
  try {
    await promise;
    return 0;
  } catch (error) {
    return (error as ProblemException).getStatus();
  }
};

describe('StreamLeases', () => {
  it('answers 429 when Redis grants the user no slot', async () => {
    const { leases: subject } = leases(0);
    await expect(statusOf(subject.acquire('u'))).resolves.toBe(429);
  });

  it('answers 503 once this process holds its maximum, and frees a slot on release', async () => {
    const { leases: subject, redis } = leases(1, 2);
    const first = await subject.acquire('u');
    await subject.acquire('v');
    await expect(statusOf(subject.acquire('w'))).resolves.toBe(503);
    await subject.release(first);
    expect(redis.zrem).toHaveBeenCalledWith('p:stream-leases:u', first.id);
    await expect(statusOf(subject.acquire('w'))).resolves.toBe(0);
    subject.onApplicationShutdown();
  });

  it('releases a lease once only', async () => {
    const { leases: subject, redis } = leases(1);
    const lease = await subject.acquire('u');
    await subject.release(lease);
    await subject.release(lease);
    expect(redis.zrem).toHaveBeenCalledTimes(1);
    subject.onApplicationShutdown();
  });
});
