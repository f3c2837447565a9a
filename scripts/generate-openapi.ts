/**
 * Writes the OpenAPI document (openapi.json) from the Nest app without connecting to PostgreSQL or Redis
 * (`preview` builds the module graph without instantiating providers). With `--check`, fails when the committed
 * document differs from what the code generates.
 */
import { loadConfig } from '@app/config';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiApp } from '../apps/api/src/app.factory';
import { buildOpenApiDocument } from '../apps/api/src/swagger';

const target = join(__dirname, '..', 'openapi.json');

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, sortKeys(inner)]),
    );
  }
  return value;
}

async function main(): Promise<void> {
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET_KEY: 'openapi-generation-only-not-a-real-secret',
  });
  const app = await createApiApp({ config, preview: true });
  const document = `${JSON.stringify(sortKeys(buildOpenApiDocument(app)), null, 2)}\n`;
  await app.close();

  if (process.argv.includes('--check')) {
    const committed = readFileSync(target, 'utf8');
    if (committed !== document) {
      console.error('openapi.json is out of date: run `npm run openapi` and commit the result.');
      process.exit(1);
    }
    console.log('openapi.json is up to date');
    return;
  }
  writeFileSync(target, document);
  console.log(`Wrote ${target}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
