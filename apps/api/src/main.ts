import { ConfigValidationError, loadConfig, loadDotEnvFile } from '@app/config';
import { createApiApp } from './app.factory';

async function bootstrap(): Promise<void> {
  loadDotEnvFile();
  const config = loadConfig();
  const app = await createApiApp({ config });
  await app.listen(config.port, '0.0.0.0');
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof ConfigValidationError ? error.message : error);
  process.exit(1);
});
