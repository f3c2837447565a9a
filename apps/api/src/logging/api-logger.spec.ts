import pino from 'pino';
import { Writable } from 'node:stream';
import { ApiLogger } from './api-logger';

function capture(): { logger: ApiLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: new ApiLogger(pino({ level: 'info' }, sink)), lines };
}

describe('ApiLogger', () => {
  it("merges a Nest Logger call's object into the line and names its context", () => {
    const { logger, lines } = capture();
    logger.warn({ userId: 'u1' }, 'Chatroom list cache read failed', 'ChatroomListCache');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        userId: 'u1',
        msg: 'Chatroom list cache read failed',
        context: 'ChatroomListCache',
      }),
    ]);
  });

  it('logs an Error as err, with its stack', () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error('boom'), requestId: 'r1' }, 'Unhandled error', 'Errors');
    expect(lines[0]).toMatchObject({
      level: 50,
      requestId: 'r1',
      context: 'Errors',
      err: { message: 'boom' },
    });
    expect((lines[0].err as { stack: string }).stack).toContain('boom');
  });

  it("keeps the stack of Nest's own exception handler, which passes it where a context would be", () => {
    const { logger, lines } = capture();
    logger.error('Something broke', 'Error: Something broke\n    at somewhere (file.ts:1:1)');
    expect(lines[0]).toMatchObject({ level: 50, err: { message: 'Something broke' } });
    expect(lines[0].context).toBeUndefined();
  });

  it('writes nothing below the configured level', () => {
    const { logger, lines } = capture();
    logger.debug('detail', 'Somewhere');
    logger.verbose('more detail', 'Somewhere');
    expect(lines).toEqual([]);
  });
});
