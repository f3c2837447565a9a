import helmet, { HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", "'unsafe-inline'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      // Swagger UI is served over plain HTTP in development; upgrading its requests would break it.
      upgradeInsecureRequests: null,
    },
  },
};

/** What a JSON answer needs: no sniffing it as another type, no framing, no referrer, HTTPS only, same-origin reads. */
const JSON_HEADER_NAMES = [
  'strict-transport-security',
  'x-content-type-options',
  'referrer-policy',
  'x-frame-options',
  'cross-origin-resource-policy',
];

/** The pages a browser renders: Swagger UI and its assets, the queue dashboard. */
const PAGE_PREFIXES = ['/docs', '/admin/queues'];

/** The headers helmet sets with these options, computed once (helmet itself rebuilds them on every response). */
export function helmetHeaders(options: HelmetOptions = HELMET_OPTIONS): [string, string][] {
  const headers: [string, string][] = [];
  const response = {
    setHeader: (name: string, value: string) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}

/**
 * helmet's headers, computed at start-up: all of them, the Content-Security-Policy included, for the pages a browser
 * renders; for JSON answers only those that matter to a JSON API.
 */
export function securityHeadersByPath(): (url: string) => [string, string][] {
  const pageHeaders = helmetHeaders();
  const jsonHeaders = pageHeaders.filter(([name]) => JSON_HEADER_NAMES.includes(name.toLowerCase()));
  return (url) => (PAGE_PREFIXES.some((prefix) => url.startsWith(prefix)) ? pageHeaders : jsonHeaders);
}
