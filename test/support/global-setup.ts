import { Client } from 'pg';
import { adminDatabaseUrl } from './admin-database-url';

/** Fails the whole run early, with one clear message, when PostgreSQL is not reachable. */
export default async function globalSetup(): Promise<void> {
  const client = new Client({ connectionString: adminDatabaseUrl(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`e2e tests need PostgreSQL at ${adminDatabaseUrl()}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
