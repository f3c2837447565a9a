import { ConfigValidationError, loadConfig, loadDotEnvFile } from '@app/config';
import { assertGeminiReachable, GeminiEndpointError } from '@app/gemini';
import { createWorkerApp } from './worker.factory';

async function bootstrap(): Promise<void> {
  loadDotEnvFile();
  const config = loadConfig();
  await assertGeminiReachable(config);
  const app = await createWorkerApp(config);
  await app.init();
}

bootstrap().catch((error: unknown) => {
  console.error(
    error instanceof ConfigValidationError || error instanceof GeminiEndpointError ? error.message : error,
  );
  process.exit(1);
});
