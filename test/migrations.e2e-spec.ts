import { dataSourceOptions } from '@app/database';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from './support/database';
import { expectLedgerMatchesReplies } from './support/ledger';

describe('migration 1764100000000 (abuse hardening) on existing accounts', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  }, 60_000);
  afterAll(async () => database?.drop(), 30_000);

  it('marks proven only passwordless accounts that logged in; accounts with a password must prove their number', async () => {
    const dataSource = await new DataSource(dataSourceOptions(database.url, 1)).initialize();
    try {
      // Back to just before 1764100000000: undo it and every migration after it.
      const migrations = dataSource.migrations.map((migration) => migration.name);
      const undo = migrations.length - migrations.indexOf('AbuseHardening1764100000000');
      for (let step = 0; step < undo; step++) await dataSource.undoLastMigration({ transaction: 'each' });
      const insertUser = async (mobile: string, passwordHash: string | null, withSession: boolean) => {
        const [user] = await database.query<{ id: string }>(
          'INSERT INTO users (mobile, password_hash) VALUES ($1, $2) RETURNING id',
          [mobile, passwordHash],
        );
        if (withSession) {
          await database.query(
            `INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + interval '1 day')`,
            [user.id],
          );
        }
      };
      await insertUser('+919000000001', '$argon2id$pre-registered', true);
      await insertUser('+919000000002', null, true);
      await insertUser('+919000000003', null, false);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
    const rows = await database.query<{ mobile: string; verified: boolean }>(
      'SELECT mobile, verified_at IS NOT NULL AS verified FROM users ORDER BY mobile',
    );
    expect(rows).toEqual([
      { mobile: '+919000000001', verified: false },
      { mobile: '+919000000002', verified: true },
      { mobile: '+919000000003', verified: false },
    ]);
  });
});

describe('migration 1764300000000 (conversation branches) on existing conversations', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  }, 60_000);
  afterAll(async () => database?.drop(), 30_000);

  it('turns each conversation into one branch in seq order, its last message the active leaf', async () => {
    const dataSource = await new DataSource(dataSourceOptions(database.url, 1)).initialize();
    try {
      // Back to just before 1764300000000: undo it and every migration after it.
      const migrations = dataSource.migrations.map((migration) => migration.name);
      const undo = migrations.length - migrations.indexOf('ConversationBranches1764300000000');
      for (let step = 0; step < undo; step++) await dataSource.undoLastMigration({ transaction: 'each' });
      const [user] = await database.query<{ id: string }>(
        `INSERT INTO users (mobile, verified_at) VALUES ('+919000000009', now()) RETURNING id`,
      );
      const rooms = await database.query<{ id: string; title: string }>(
        `INSERT INTO chatrooms (user_id, title, last_message_seq) VALUES ($1, 'New chat', 4), ($1, 'Named', 0)
         RETURNING id, title`,
        [user.id],
      );
      const room = rooms.find((row) => row.title === 'New chat')!;
      const insert = async (seq: number, role: string, replyTo: string | null): Promise<string> => {
        const [row] = await database.query<{ id: string }>(
          `INSERT INTO messages (chatroom_id, user_id, seq, role, content, status, reply_to_id)
           VALUES ($1, $2, $3, $4, $5, 'completed', $6) RETURNING id`,
          [room.id, user.id, seq, role, `m${seq}`, replyTo],
        );
        return row.id;
      };
      const p1 = await insert(1, 'user', null);
      const r1 = await insert(2, 'model', p1);
      const p2 = await insert(3, 'user', null);
      const r2 = await insert(4, 'model', p2);
      await dataSource.runMigrations({ transaction: 'each' });

      const parents = await database.query<{ id: string; parent_id: string | null }>(
        'SELECT id, parent_id FROM messages ORDER BY seq',
      );
      expect(parents).toEqual([
        { id: p1, parent_id: null },
        { id: r1, parent_id: p1 },
        { id: p2, parent_id: r1 },
        { id: r2, parent_id: p2 },
      ]);
      const chatrooms = await database.query<{
        title: string;
        title_source: string;
        active_leaf_id: string | null;
      }>('SELECT title, title_source, active_leaf_id FROM chatrooms ORDER BY title');
      expect(chatrooms).toEqual([
        { title: 'Named', title_source: 'user', active_leaf_id: null },
        { title: 'New chat', title_source: 'default', active_leaf_id: r2 },
      ]);
    } finally {
      await dataSource.destroy();
    }
  });
});

/**
 * TypeORM's schema reader sends several queries on one connection at once, which pg 8 accepts but reports as
 * deprecated on the test output; queued one after another here, it reads the same schema quietly.
 */
async function oneQueryAtATime<T>(read: () => Promise<T>): Promise<T> {
  const { query } = Client.prototype;
  let previous: Promise<unknown> = Promise.resolve();
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    if (typeof args.at(-1) === 'function') return (query as (...a: unknown[]) => unknown).apply(this, args);
    const next = previous.then(() => (query as (...a: unknown[]) => Promise<unknown>).apply(this, args));
    previous = next.catch(() => undefined);
    return next;
  } as typeof query;
  try {
    return await read();
  } finally {
    Client.prototype.query = query;
  }
}

describe('migrations and entities', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  }, 60_000);
  afterAll(async () => database?.drop(), 30_000);

  it('agree: after every migration, TypeORM finds nothing left to generate', async () => {
    const dataSource = await new DataSource(dataSourceOptions(database.url, 1)).initialize();
    try {
      const pending = await oneQueryAtATime(() => dataSource.driver.createSchemaBuilder().log());
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });
});

describe('migration 1764400000000 (usage ledger) on existing replies', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  }, 60_000);
  afterAll(async () => database?.drop(), 30_000);

  it('counts the stored prompts, replies and tokens into the ledger, so it equals them from the start', async () => {
    const dataSource = await new DataSource(dataSourceOptions(database.url, 1)).initialize();
    try {
      await dataSource.undoLastMigration({ transaction: 'each' });
      const [user] = await database.query<{ id: string }>(
        `INSERT INTO users (mobile, verified_at) VALUES ('+919000000010', now()) RETURNING id`,
      );
      const [room] = await database.query<{ id: string }>(
        `INSERT INTO chatrooms (user_id, title) VALUES ($1, 'old') RETURNING id`,
        [user.id],
      );
      const insert = async (seq: number, role: string, status: string, tokens: number | null) =>
        database.query(
          `INSERT INTO messages (chatroom_id, user_id, seq, role, content, status, prompt_tokens, output_tokens,
                                 created_at)
           VALUES ($1, $2, $3, $4, 'x', $5, $6, $6, '2026-11-30T23:00:00Z')`,
          [room.id, user.id, seq, role, status, tokens],
        );
      await insert(1, 'user', 'completed', null);
      await insert(2, 'model', 'completed', 10);
      await insert(3, 'user', 'completed', null);
      await insert(4, 'model', 'failed', null);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
    await expectLedgerMatchesReplies(database.query);
    expect(
      await database.query('SELECT day::text, prompts, replies_completed, replies_failed FROM usage_days'),
    ).toEqual([{ day: '2026-11-30', prompts: 2, replies_completed: 1, replies_failed: 1 }]);
    expect(await database.query('SELECT month::text, used_tokens::int FROM usage_months')).toEqual([
      { month: '2026-11-01', used_tokens: 20 },
    ]);
  });
});
