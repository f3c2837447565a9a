import Fastify from 'fastify';
import { prepareRequests } from './request-preparation';
import { helmetHeaders } from './security-headers';

async function app() {
  const fastify = Fastify();
  prepareRequests(fastify);
  fastify.get('/chatroom', () => ({ items: [] }));
  fastify.get('/docs', () => 'page');
  fastify.get('/docs/swagger-ui-init.js', () => 'script');
  fastify.get('/admin/queues', () => 'dashboard');
  await fastify.ready();
  return fastify;
}

describe('request preparation: security headers', () => {
  it('gives JSON answers the headers a JSON API needs, with helmet values, and no Content-Security-Policy', async () => {
    const response = await (await app()).inject('/chatroom');
    const helmet = Object.fromEntries(helmetHeaders().map(([name, value]) => [name.toLowerCase(), value]));
    for (const name of [
      'strict-transport-security',
      'x-content-type-options',
      'referrer-policy',
      'x-frame-options',
      'cross-origin-resource-policy',
    ]) {
      expect(response.headers[name]).toBe(helmet[name]);
    }
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['content-security-policy']).toBeUndefined();
    expect(response.headers['x-dns-prefetch-control']).toBeUndefined();
  });

  it.each(['/docs', '/docs/swagger-ui-init.js', '/admin/queues'])(
    'gives the page %s every helmet header, the Content-Security-Policy for Swagger UI included',
    async (path) => {
      const response = await (await app()).inject(path);
      for (const [name, value] of helmetHeaders()) expect(response.headers[name.toLowerCase()]).toBe(value);
      expect(response.headers['content-security-policy']).toBe(
        "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';" +
          "img-src 'self' data:;object-src 'none';script-src 'self' 'unsafe-inline';script-src-attr 'none';" +
          "style-src 'self' 'unsafe-inline'",
      );
    },
  );
});
