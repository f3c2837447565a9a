import { loadConfig, loadDotEnvFile } from '@app/config';
import { runMigrations } from '@app/database';

async function main(): Promise<void> {
  loadDotEnvFile();
  const applied = await runMigrations(loadConfig().databaseUrl);
  console.log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
