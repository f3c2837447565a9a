import { dataSourceOptions } from '@app/database';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from './support/database';

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
