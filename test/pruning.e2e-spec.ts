import { RedisKeys } from '@app/queue';
import Redis from 'ioredis';
import { Pruner } from '../apps/worker/src/maintenance/pruner';
import { uniqueMobile } from './support/auth';
import { eventually } from './support/http';
import { Stack, startStack } from './support/stack';

describe('worker: pruning dead auth records', () => {
  let stack: Stack;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startStack({ PRUNE_INTERVAL_SECONDS: '1', PRUNE_RETENTION_DAYS: '1' });
    redis = new Redis(stack.config.redis.url);
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  }, 30_000);

  const insertUser = async (verified: boolean, createdAgo: string): Promise<string> => {
    const [user] = await stack.database.query<{ id: string }>(
      `INSERT INTO users (mobile, verified_at, created_at)
       VALUES ($1, CASE WHEN $2 THEN now() END, now() - $3::interval) RETURNING id`,
      [uniqueMobile(), verified, createdAgo],
    );
    return user.id;
  };
  const insertSession = async (userId: string, expires: string, revoked: string | null): Promise<string> => {
    const [session] = await stack.database.query<{ id: string }>(
      `INSERT INTO sessions (user_id, expires_at, revoked_at)
       VALUES ($1, now() + $2::interval, now() - $3::interval) RETURNING id`,
      [userId, expires, revoked],
    );
    return session.id;
  };
  const insertOtp = async (expires: string, consumedAgo: string | null): Promise<string> => {
    const [otp] = await stack.database.query<{ id: string }>(
      `INSERT INTO otp_challenges (mobile, purpose, code_hash, expires_at, consumed_at)
       VALUES ($1, 'login', repeat('0', 64), now() + $2::interval, now() - $3::interval) RETURNING id`,
      [uniqueMobile(), expires, consumedAgo],
    );
    return otp.id;
  };
  const remaining = async (table: string, ids: string[]): Promise<string[]> =>
    (await stack.database.query<{ id: string }>(`SELECT id FROM ${table} WHERE id = ANY($1)`, [ids])).map(
      (row) => row.id,
    );

  it('deletes, on its schedule, only what has been dead longer than the retention', async () => {
    const owner = await insertUser(true, '10 days');
    const keptUsers = [owner, await insertUser(false, '1 hour')];
    const prunedUsers = [await insertUser(false, '2 days')];
    const keptSessions = [
      await insertSession(owner, '1 day', null),
      await insertSession(owner, '1 day', '1 hour'),
      await insertSession(owner, '-1 hour', null),
    ];
    const prunedSessions = [
      await insertSession(owner, '1 day', '2 days'),
      await insertSession(owner, '-2 days', null),
    ];
    const keptOtps = [await insertOtp('5 minutes', null), await insertOtp('5 minutes', '1 hour')];
    const prunedOtps = [await insertOtp('-2 days', null), await insertOtp('5 minutes', '2 days')];

    await eventually(async () =>
      (await remaining('sessions', prunedSessions)).length === 0 ? true : undefined,
    );
    await eventually(async () =>
      (await remaining('otp_challenges', prunedOtps)).length === 0 ? true : undefined,
    );
    await eventually(async () => ((await remaining('users', prunedUsers)).length === 0 ? true : undefined));
    expect(await remaining('users', keptUsers)).toHaveLength(keptUsers.length);
    expect(await remaining('sessions', keptSessions)).toHaveLength(keptSessions.length);
    expect(await remaining('otp_challenges', keptOtps)).toHaveLength(keptOtps.length);
  });

  it('skips a pass while another worker holds the lock', async () => {
    const key = new RedisKeys(stack.config.redis.prefix).pruneLock();
    await redis.set(key, 'another-worker', 'PX', 10_000);
    const expired = await insertOtp('-2 days', null);
    expect(await stack.worker!.get(Pruner).runOnce()).toBeUndefined();
    expect(await remaining('otp_challenges', [expired])).toEqual([expired]);
    await redis.del(key);
    await eventually(async () =>
      (await remaining('otp_challenges', [expired])).length === 0 ? true : undefined,
    );
  });
});
