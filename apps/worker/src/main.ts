import { ConfigValidationError, loadConfig, loadDotEnvFile } from '@app/config';
import { createWorkerApp } from './worker.factory';

async function bootstrap(): Promise<void> {
  loadDotEnvFile();
  const app = await createWorkerApp(loadConfig());
  await app.init();
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof ConfigValidationError ? error.message : error);
  process.exit(1);
});
