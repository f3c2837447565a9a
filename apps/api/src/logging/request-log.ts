import { redactCredentials } from '@app/observability';
import type { FastifyInstance } from 'fastify';
import type pino from 'pino';

export type RequestLogLevel = 'error' | 'info' | 'debug';

/**
 * What a finished request is worth in the logs: a failure (5xx) is an error, a refusal (4xx) or a slow answer is
 * information, and anything else, health and metrics probes included, is debugging detail (a line per request would
 * cost more than the request: docs/benchmarks.md).
 */
export function requestLogLevel(statusCode: number, elapsedMs: number, slowMs: number): RequestLogLevel {
  if (statusCode >= 500) return 'error';
  if (statusCode >= 400 || elapsedMs >= slowMs) return 'info';
  return 'debug';
}

/** One line per request, once answered, at the level `requestLogLevel` gives it; the URL with credentials redacted. */
export function logRequests(fastify: FastifyInstance, logger: pino.Logger, slowMs: number): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const { statusCode, elapsedTime } = reply;
    const level = requestLogLevel(statusCode, elapsedTime, slowMs);
    if (logger.isLevelEnabled(level)) {
      logger[level](
        {
          req: { id: request.id, method: request.method, url: redactCredentials(request.url) },
          requestId: request.id,
          res: { statusCode },
          responseTime: Math.round(elapsedTime),
        },
        statusCode >= 500 ? 'request errored' : 'request completed',
      );
    }
    done();
  });
}
