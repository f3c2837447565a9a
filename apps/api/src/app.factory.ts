import { AppConfig, loadConfig } from '@app/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { mountQueueDashboard } from './admin/queue-dashboard';
import { ApiModule } from './api.module';
import { requestIdFor } from './common/request-id';
import { answerClientError, answerFrameworkError, rejectUnacceptableJson } from './common/request-hygiene';
import { prepareRequests } from './common/request-preparation';
import { createValidationPipe } from './common/validation.pipe';
import { ApiLogger } from './logging/api-logger';
import { API_PINO } from './logging/logging.module';
import { logRequests } from './logging/request-log';
import { ApiMetrics } from './metrics/api-metrics';
import { STRIPE_WEBHOOK_PATH } from './subscriptions/stripe-webhook.controller';
import { setUpSwagger } from './swagger';

export interface CreateApiOptions {
  config?: AppConfig;
  /** Builds the module graph without connecting to anything; used to write the OpenAPI document. */
  preview?: boolean;
}

/** Builds the HTTP app exactly as production runs it; `main.ts` and the e2e tests both start it through here. */
export async function createApiApp(options: CreateApiOptions = {}): Promise<NestFastifyApplication> {
  const config = options.config ?? loadConfig();
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdFor,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    // Clients of the original FastAPI project call `/chatroom/` and `/auth/send-otp/`.
    routerOptions: { ignoreTrailingSlash: true },
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    rawBody: true,
    bufferLogs: true,
    preview: options.preview ?? false,
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  if (!options.preview) {
    app.useLogger(app.get(ApiLogger));
    logRequests(fastify, app.get(API_PINO), config.slowRequestLogMs);
    app.get(ApiMetrics).observeHttp(fastify);
  }

  // Stripe events can be several hundred kB; every other route keeps BODY_LIMIT_BYTES.
  fastify.addHook('onRoute', (route) => {
    if (route.url === STRIPE_WEBHOOK_PATH) route.bodyLimit = config.stripe.webhookBodyLimitBytes;
  });
  // JSON only: any other body type is answered 415 instead of reaching validation as a string.
  fastify.removeContentTypeParser('text/plain');
  prepareRequests(fastify);
  rejectUnacceptableJson(fastify);
  // Without allowed origins CORS answers nothing, so its hook is not installed at all.
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      exposedHeaders: [
        'X-Request-Id',
        'X-Cache',
        'Location',
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'X-TokenBudget-Limit',
        'X-TokenBudget-Remaining',
        'X-TokenBudget-Reset',
      ],
    });
  }
  if (!options.preview) await mountQueueDashboard(app, config);
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  setUpSwagger(app);
  return app;
}
