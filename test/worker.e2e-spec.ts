import { ChildProcess } from 'node:child_process';
import { signIn } from './support/auth';
import { ApiClient, eventually } from './support/http';
import { SPAWN_TIMEOUT_MS } from './support/api';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';
import { MessageBody, SentBody } from './support/types';
import { expectLedgerMatchesReplies } from './support/ledger';
import { spawnWorker, startWorker } from './support/worker';

type Msg = MessageBody;
type Sent = SentBody;

describe('worker: generating replies', () => {
  let stack: Stack;
  let client: ApiClient;
  let roomId: string;

  beforeAll(async () => {
    stack = await startStack({
      GEMINI_MAX_ATTEMPTS: '3',
      GEMINI_TIMEOUT_MS: '1500',
      GEMINI_RETRY_BASE_DELAY_MS: '100',
    });
    client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    roomId = (await client.post<{ id: string }>('/chatroom', { title: 'worker' })).body.id;
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);
  beforeEach(() => stack.gemini.reset());

  const send = async (content: string): Promise<string> =>
    (await client.post<Sent>(`/chatroom/${roomId}/message`, { content })).body.reply.id;
  const final = (replyId: string, timeoutMs = 15_000): Promise<Msg> =>
    eventually(async () => {
      const { body } = await client.get<Msg>(`/chatroom/${roomId}/message/${replyId}`);
      return ['completed', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    }, timeoutMs);

  it('retries 503s and completes: 503, 503, 200 is exactly 3 upstream calls', async () => {
    stack.gemini.script({ kind: 'error', status: 503 }, { kind: 'error', status: 503 });
    const reply = await final(await send('flaky upstream'));
    expect(reply).toMatchObject({ status: 'completed', content: 'You said: flaky upstream' });
    expect(stack.gemini.requests).toHaveLength(3);
    const [row] = await stack.database.query<{ attempts: number }>(
      'SELECT attempts FROM messages WHERE id = $1',
      [reply.id],
    );
    expect(row.attempts).toBe(3);
  });

  it('fails the reply with a clear reason once attempts are exhausted', async () => {
    stack.gemini.script(
      { kind: 'error', status: 500 },
      { kind: 'error', status: 500 },
      { kind: 'error', status: 500 },
    );
    const reply = await final(await send('always failing'));
    expect(reply.status).toBe('failed');
    expect(reply.error?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(reply.error?.message).toMatch(/unavailable|overloaded/i);
    expect(stack.gemini.requests).toHaveLength(3);
  });

  it('does not retry a 400: one upstream call, reply failed', async () => {
    stack.gemini.script({ kind: 'error', status: 400 });
    const reply = await final(await send('bad request'));
    expect(reply).toMatchObject({ status: 'failed', error: { code: 'BAD_REQUEST' } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(stack.gemini.requests).toHaveLength(1);
  });

  it('waits at least as long as a 429 Retry-After asks before retrying', async () => {
    stack.gemini.script({ kind: 'error', status: 429, retryAfterSeconds: 1 });
    const reply = await final(await send('rate limited'));
    expect(reply.status).toBe('completed');
    const [first, second] = stack.gemini.requests;
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(950);
  });

  it('fails a safety-blocked prompt without retrying', async () => {
    stack.gemini.script({ kind: 'block', reason: 'SAFETY' });
    const reply = await final(await send('something unsafe'));
    expect(reply).toMatchObject({ status: 'failed', error: { code: 'SAFETY_BLOCKED' } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(stack.gemini.requests).toHaveLength(1);
  });

  it('fails an answer stopped for safety, and an empty answer, without retrying', async () => {
    stack.gemini.script({ kind: 'answer', chunks: ['Partial'], finishReason: 'SAFETY' });
    expect(await final(await send('unsafe answer'))).toMatchObject({
      status: 'failed',
      error: { code: 'SAFETY_BLOCKED' },
    });
    stack.gemini.script({ kind: 'answer', chunks: [] });
    expect(await final(await send('empty answer'))).toMatchObject({
      status: 'failed',
      error: { code: 'EMPTY_RESPONSE' },
    });
  });

  it('marks an answer cut at the token limit as truncated', async () => {
    stack.gemini.script({ kind: 'answer', chunks: ['cut ', 'short'], finishReason: 'MAX_TOKENS' });
    expect(await final(await send('long essay'))).toMatchObject({
      status: 'completed',
      truncated: true,
      content: 'cut short',
    });
  });

  it('times out a hanging call and retries it', async () => {
    stack.gemini.script({ kind: 'hang' });
    const reply = await final(await send('hang once'));
    expect(reply.status).toBe('completed');
    expect(stack.gemini.requests).toHaveLength(2);
  });

  it('starts the text over when an attempt fails mid-stream', async () => {
    stack.gemini.script({ kind: 'errorMidStream', chunks: ['broken '], status: 503 });
    const reply = await final(await send('mid-stream failure'));
    expect(reply).toMatchObject({ status: 'completed', content: 'You said: mid-stream failure' });
  });

  it(
    'fails replies with GEMINI_NOT_CONFIGURED when the worker has no API key',
    async () => {
      const unconfigured = await startStack({ GEMINI_API_KEY: '' });
      try {
        const other = new ApiClient(unconfigured.api.url, (await signIn(unconfigured.api.url)).accessToken);
        const room = (await other.post<{ id: string }>('/chatroom', {})).body.id;
        const sent = await other.post<Sent>(`/chatroom/${room}/message`, { content: 'anyone there?' });
        const reply = await eventually(async () => {
          const { body } = await other.get<Msg>(`/chatroom/${room}/message/${sent.body.reply.id}`);
          return body.status === 'failed' ? body : undefined;
        });
        expect(reply.error).toEqual({
          code: 'GEMINI_NOT_CONFIGURED',
          message: expect.stringContaining('set GEMINI_API_KEY') as string,
        });
      } finally {
        await unconfigured.stop();
      }
    },
    STACK_TIMEOUT_MS,
  );
});

describe('worker: nothing is lost', () => {
  it(
    're-enqueues replies whose job was lost, and fails one stuck generating with its attempts spent',
    async () => {
      const stack = await startStack(
        { RECONCILE_INTERVAL_SECONDS: '1', REPLY_STALE_AFTER_SECONDS: '1' },
        { worker: false },
      );
      try {
        const client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
        const room = (await client.post<{ id: string }>('/chatroom', {})).body.id;
        const lost = (await client.post<Sent>(`/chatroom/${room}/message`, { content: 'lost job' })).body
          .reply.id;
        const interrupted = (await client.post<Sent>(`/chatroom/${room}/message`, { content: 'interrupted' }))
          .body.reply.id;
        const stuck = (await client.post<Sent>(`/chatroom/${room}/message`, { content: 'stuck' })).body.reply
          .id;
        const Redis = (await import('ioredis')).default;
        const redis = new Redis(stack.config.redis.url);
        const keys = await redis.keys(`${stack.config.redis.prefix}:replies:*`);
        if (keys.length) await redis.del(...keys);
        redis.disconnect();
        await stack.database.query(
          `UPDATE messages SET updated_at = now() - interval '1 hour' WHERE id IN ($1, $2, $3)`,
          [lost, interrupted, stuck],
        );
        // Generating when Redis lost its job: one attempt made, so it has attempts left; the other has spent them all.
        await stack.database.query(`UPDATE messages SET status = 'generating', attempts = 1 WHERE id = $1`, [
          interrupted,
        ]);
        await stack.database.query(`UPDATE messages SET status = 'generating', attempts = $2 WHERE id = $1`, [
          stuck,
          stack.config.gemini.maxAttempts,
        ]);

        const worker = await startWorker(stack.config);
        try {
          const reply = (id: string): Promise<Msg> =>
            eventually(async () => {
              const { body } = await client.get<Msg>(`/chatroom/${room}/message/${id}`);
              return ['completed', 'failed'].includes(body.status) ? body : undefined;
            }, 15_000);
          expect(await reply(lost)).toMatchObject({ status: 'completed', content: 'You said: lost job' });
          expect(await reply(interrupted)).toMatchObject({ status: 'completed' });
          expect(await reply(stuck)).toMatchObject({ status: 'failed', error: { code: 'STALLED' } });
        } finally {
          await worker.close();
        }
      } finally {
        await stack.stop();
      }
    },
    STACK_TIMEOUT_MS,
  );

  it(
    'completes a reply exactly once after its worker process is killed mid-generation',
    async () => {
      const stack = await startStack({ WORKER_LOCK_DURATION_MS: '2000' }, { worker: false });
      let first: ChildProcess | undefined;
      let second: ChildProcess | undefined;
      try {
        const client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
        const room = (await client.post<{ id: string }>('/chatroom', {})).body.id;
        stack.gemini.script({
          kind: 'answer',
          chunks: ['never ', 'finished ', 'first ', 'time'],
          chunkDelayMs: 1000,
        });
        first = spawnWorker(stack.env);
        const replyId = (await client.post<Sent>(`/chatroom/${room}/message`, { content: 'survive a crash' }))
          .body.reply.id;
        await eventually(
          () => Promise.resolve(stack.gemini.requests.length === 1 ? true : undefined),
          SPAWN_TIMEOUT_MS,
        );
        first.kill('SIGKILL');

        second = spawnWorker(stack.env);
        const reply = await eventually(async () => {
          const { body } = await client.get<Msg>(`/chatroom/${room}/message/${replyId}`);
          return body.status === 'completed' ? body : undefined;
        }, SPAWN_TIMEOUT_MS);
        expect(reply.content).toBe('You said: survive a crash');
        const rows = await stack.database.query(
          `SELECT id FROM messages WHERE role = 'model' AND chatroom_id = $1`,
          [room],
        );
        expect(rows).toHaveLength(1);
        expect(stack.gemini.requests).toHaveLength(2);
        await expectLedgerMatchesReplies(stack.database.query);
      } finally {
        first?.kill('SIGKILL');
        second?.kill('SIGTERM');
        await stack.stop();
      }
    },
    2 * STACK_TIMEOUT_MS,
  );
});
