import { AppConfig } from '@app/config';
import { RedisKeys } from '@app/queue';
import { JwtService } from '@nestjs/jwt';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { SessionStates } from './session-states';
import { RevocationReason, TokenService } from './token.service';

const config = { auth: { jwtSecret: 'a-test-secret-that-is-longer-than-32-characters' } } as AppConfig;
const outage = (): Promise<never> => Promise.reject(new Error('Connection is closed.'));

/** A TokenService over a database that records what it commits and a Redis that records what it is told. */
function tokensWith(markRevoked: (ids: string[]) => Promise<void>) {
  const events: string[] = [];
  const sessionStates = {
    markRevoked: async (ids: string[]) => {
      await markRevoked(ids);
      events.push(`redis: revoked ${ids.join(',')}`);
    },
  } as unknown as SessionStates;
  const query = {
    update: () => query,
    set: () => query,
    where: () => query,
    andWhere: () => query,
    returning: () => query,
    execute: () => Promise.resolve({ raw: [{ id: 's1' }, { id: 's2' }] }),
  };
  const dataSource = {
    getRepository: () => ({
      update: (criteria: { id: string }) => {
        events.push(`database: revoked ${criteria.id}`);
        return Promise.resolve({});
      },
    }),
    transaction: async (work: (manager: unknown) => Promise<unknown>) => {
      const result = await work({ createQueryBuilder: () => query });
      events.push('database: committed');
      return result;
    },
  } as unknown as DataSource;
  const redis = { publish: () => Promise.resolve(1) } as unknown as Redis;
  const tokens = new TokenService(
    new JwtService(),
    dataSource,
    config,
    redis,
    new RedisKeys('t'),
    sessionStates,
  );
  return { tokens, events };
}

describe('TokenService revocations', () => {
  it('tells Redis before revoking a session in PostgreSQL', async () => {
    const { tokens, events } = tokensWith(() => Promise.resolve());
    await tokens.revokeSession('s1', RevocationReason.Logout);
    expect(events).toEqual(['redis: revoked s1', 'database: revoked s1']);
  });

  it('leaves the session live when Redis cannot take the revocation', async () => {
    const { tokens, events } = tokensWith(outage);
    await expect(tokens.revokeSession('s1', RevocationReason.Logout)).rejects.toThrow('Connection is closed');
    expect(events).toEqual([]);
  });

  it("marks every revoked session in Redis before the revocation of a user's sessions commits", async () => {
    const { tokens, events } = tokensWith(() => Promise.resolve());
    await tokens.revokeAllSessions('u1', RevocationReason.PasswordChanged, { keepSessionId: 's0' });
    expect(events).toEqual(['redis: revoked s1,s2', 'database: committed']);
  });

  it("does not commit the revocation of a user's sessions when Redis cannot take it", async () => {
    const { tokens, events } = tokensWith(outage);
    await expect(tokens.revokeAllSessions('u1', RevocationReason.PasswordChanged)).rejects.toThrow();
    expect(events).toEqual([]);
  });
});
