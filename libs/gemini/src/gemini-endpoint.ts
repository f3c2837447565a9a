import { AppConfig } from '@app/config';

export class GeminiEndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GeminiEndpointError';
  }
}

/**
 * In production, a GEMINI_BASE_URL that answers nothing (typically the development stand-in's address, copied from
 * .env.example) would fail every reply one by one; the worker refuses to start instead. Any HTTP answer counts as
 * reachable: only the network is checked here, not the key.
 */
export async function assertGeminiReachable(config: AppConfig, timeoutMs = 5000): Promise<void> {
  const { baseUrl } = config.gemini;
  if (config.nodeEnv !== 'production' || !baseUrl) return;
  try {
    const response = await fetch(baseUrl, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
  } catch (error) {
    const reason =
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error);
    throw new GeminiEndpointError(
      `GEMINI_BASE_URL=${baseUrl} does not answer (${reason}). In production leave GEMINI_BASE_URL empty to use ` +
        'Google (https://generativelanguage.googleapis.com) with your GEMINI_API_KEY, or point it at a reachable proxy.',
    );
  }
}
