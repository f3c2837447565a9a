import type { FastifyInstance } from 'fastify';
import { forgetEmptyJsonBody } from './empty-json-body';
import { unsupportedBody, unsupportedMediaType, unsupportedMethodAnswerer } from './request-hygiene';
import { securityHeadersByPath } from './security-headers';

/**
 * What every request gets before routing, as one `onRequest` hook instead of one hook each (a hook is a call and a
 * callback on every request of every route: docs/benchmarks.md, scenario 1): its `X-Request-Id` and security
 * headers, then 415 for a body this API cannot read, 405 for a known path with another method, and an empty JSON
 * body treated as none.
 */
export function prepareRequests(fastify: FastifyInstance): void {
  const securityHeaders = securityHeadersByPath();
  const answerUnsupportedMethod = unsupportedMethodAnswerer(fastify);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    for (const [name, value] of securityHeaders(request.url)) reply.raw.setHeader(name, value);
    const problem = unsupportedBody(request.headers);
    if (problem) return done(unsupportedMediaType(problem));
    if (answerUnsupportedMethod(request, reply)) return;
    forgetEmptyJsonBody(request.headers);
    done();
  });
}
