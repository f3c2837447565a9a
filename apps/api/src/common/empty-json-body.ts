import type { FastifyInstance } from 'fastify';

/**
 * A request that says `Content-Type: application/json` but sends nothing (`Content-Length: 0`, as many HTTP clients
 * do for `POST /auth/logout`) is treated as having no body, instead of failing to parse as JSON. Routes that need a
 * body still answer 400 through validation.
 */
export function acceptEmptyJsonBodies(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const { headers } = request;
    if (headers['content-length'] === '0' && /^application\/json\b/i.test(headers['content-type'] ?? '')) {
      delete headers['content-type'];
    }
    done();
  });
}
