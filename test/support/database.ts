import { runMigrations } from '@app/database';
import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { adminDatabaseUrl } from './admin-database-url';

export interface TestDatabase {
  url: string;
  name: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/**
 * A fresh database per suite, migrated with the real migrations, so suites never collide. `adminUrl` names the
 * server (the shared one unless a suite brings its own).
 */
export async function createTestDatabase(adminUrl = adminDatabaseUrl()): Promise<TestDatabase> {
  const name = `gcb_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());

  // A pool rather than one client, so the suite's queries survive a restart of the server it runs on.
  const pool = new Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => undefined);

  return {
    url: url.toString(),
    name,
    query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T[],
    drop: async () => {
      await pool.end();
      const cleanup = new Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
