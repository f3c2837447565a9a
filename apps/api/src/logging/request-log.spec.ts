import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { logRequests, requestLogLevel } from './request-log';

/** A Fastify app whose request lines land in `lines`, with routes that answer as asked. */
async function appLogging(
  level: pino.Level,
  slowMs = 1000,
): Promise<{ app: FastifyInstance; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const app = Fastify();
  logRequests(app, pino({ level }, sink), slowMs);
  app.get('/health', () => ({ status: 'ok' }));
  app.get('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    return {};
  });
  app.get('/broken', async (_request, reply) => reply.code(500).send({}));
  await app.ready();
  return { app, lines };
}

describe('requestLogLevel', () => {
  it('makes failures errors, refusals and slow answers information, and the rest debugging detail', () => {
    expect(requestLogLevel(503, 2, 1000)).toBe('error');
    expect(requestLogLevel(404, 2, 1000)).toBe('info');
    expect(requestLogLevel(200, 1000, 1000)).toBe('info');
    expect(requestLogLevel(200, 999, 1000)).toBe('debug');
    expect(requestLogLevel(204, 0, 1000)).toBe('debug');
  });
});

describe('logRequests', () => {
  it('writes nothing at info for a quick success such as a health probe', async () => {
    const { app, lines } = await appLogging('info');
    expect((await app.inject('/health')).statusCode).toBe(200);
    expect(lines).toEqual([]);
  });

  it('writes one line per refused, failed or slow request, with the request id and the URL redacted', async () => {
    const { app, lines } = await appLogging('info', 20);
    await app.inject('/nowhere?otp=123456&page=2');
    await app.inject('/broken');
    await app.inject('/slow');
    expect(
      lines.map((line) => [line.level, line.msg, (line.res as { statusCode: number }).statusCode]),
    ).toEqual([
      [30, 'request completed', 404],
      [50, 'request errored', 500],
      [30, 'request completed', 200],
    ]);
    expect(lines[0]).toMatchObject({ req: { method: 'GET', url: '/nowhere?otp=[redacted]&page=2' } });
    expect(lines[0].requestId).toBe((lines[0].req as { id: string }).id);
    expect(lines[2].responseTime).toBeGreaterThanOrEqual(20);
  });

  it('writes every request at LOG_LEVEL=debug', async () => {
    const { app, lines } = await appLogging('debug');
    await app.inject('/health');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 20, req: { url: '/health' } });
  });
});
