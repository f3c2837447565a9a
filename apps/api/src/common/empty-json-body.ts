import type { IncomingHttpHeaders } from 'node:http';

/**
 * A request that says `Content-Type: application/json` but sends nothing (`Content-Length: 0`, as many HTTP clients
 * do for `POST /auth/logout`) is treated as having no body, instead of failing to parse as JSON. Routes that need a
 * body still answer 400 through validation.
 */
export function forgetEmptyJsonBody(headers: IncomingHttpHeaders): void {
  if (headers['content-length'] === '0' && /^application\/json\b/i.test(headers['content-type'] ?? '')) {
    delete headers['content-type'];
  }
}
