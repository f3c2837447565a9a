import { QueueName, ReplyJobName } from '@app/queue';
import { PROMPT_TOKENS } from '@app/stand-ins';
import { Queue } from 'bullmq';
import { spawnApi, SpawnedApi } from './support/api';
import { signIn } from './support/auth';
import { ApiClient, eventually } from './support/http';
import { expectLedgerMatchesReplies } from './support/ledger';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';
import { MessageBody, SentBody } from './support/types';

interface Counters {
  prompts: number;
  repliesCompleted: number;
  repliesFailed: number;
  repliesCancelled: number;
  promptTokens: number;
  outputTokens: number;
  thinkingTokens: number;
  totalTokens: number;
  systemTokens: number;
}
interface Report {
  from: string;
  to: string;
  days: (Counters & { day: string })[];
  totals: Counters;
}
interface Tokens {
  used: number;
  reserved: number;
  limit: number | null;
  remaining: number | null;
  resetsAt: string;
}
interface Problem {
  code: string;
  detail: string;
}

/** "You said: <one word>" is three words: the fake reports a token per word and PROMPT_TOKENS for the prompt. */
const ONE_WORD_REPLY_TOKENS = PROMPT_TOKENS + 3;
const BUDGET = 4 * ONE_WORD_REPLY_TOKENS;

describe('usage: the ledger, token budgets and what users see', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      BASIC_MONTHLY_TOKENS: String(BUDGET),
      PRO_MONTHLY_TOKENS: '1000',
      CHATROOM_AUTO_TITLES: 'true',
    });
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);
  beforeEach(() => stack.gemini.reset());

  const newUser = async (): Promise<{ client: ApiClient; userId: string; mobile: string }> => {
    const user = await signIn(stack.api.url);
    return {
      client: new ApiClient(stack.api.url, user.accessToken),
      userId: user.user.id,
      mobile: user.mobile,
    };
  };
  const room = async (
    client: ApiClient,
    body: Record<string, unknown> = { title: 'counted' },
  ): Promise<string> => {
    const response = await client.post<{ id: string }>('/chatroom', body);
    expect(response.status).toBe(201);
    return response.body.id;
  };
  const final = (client: ApiClient, roomId: string, replyId: string): Promise<MessageBody> =>
    eventually(async () => {
      const { body } = await client.get<MessageBody>(`/chatroom/${roomId}/message/${replyId}`);
      return ['completed', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    }, 20_000);
  const tokensOf = async (client: ApiClient): Promise<Tokens> =>
    (await client.get<{ tokens: Tokens }>('/user/me')).body.tokens;

  it('counts every prompt and reply once, by outcome, with its tokens: the report equals the stored replies', async () => {
    const { client, userId } = await newUser();
    await stack.database.query(`UPDATE users SET tier = 'pro' WHERE id = $1`, [userId]);
    const roomId = await room(client, {});
    stack.gemini.scriptFor(
      'first',
      { kind: 'answer', chunks: ['thought ', 'through'], thinkingTokens: 12 },
      { kind: 'answer', chunks: ['Thinking things through'] },
    );
    const completed = await client.post<SentBody>(`/chatroom/${roomId}/message?wait=30`, {
      content: 'first',
    });
    expect(completed.body.reply.status).toBe('completed');
    stack.gemini.scriptFor('refused', { kind: 'error', status: 400 });
    const failed = await client.post<SentBody>(`/chatroom/${roomId}/message?wait=30`, { content: 'refused' });
    expect(failed.body.reply.status).toBe('failed');
    stack.gemini.scriptFor('endless', { kind: 'hang' });
    const open = await client.post<SentBody>(`/chatroom/${roomId}/message`, { content: 'endless' });
    expect((await client.post(`/chatroom/${roomId}/message/${open.body.reply.id}/cancel`)).status).toBe(200);
    await final(client, roomId, open.body.reply.id);
    const regenerated = await client.post<SentBody>(
      `/chatroom/${roomId}/message/${completed.body.reply.id}/regenerate?wait=30`,
    );
    expect(regenerated.body.reply.status).toBe('completed');

    const report = await client.get<Report>('/usage');
    expect(report.status).toBe(200);
    const stored = await stack.database.query<{ prompt: number; output: number; thinking: number }>(
      `SELECT coalesce(sum(prompt_tokens), 0)::int AS prompt, coalesce(sum(output_tokens), 0)::int AS output,
              coalesce(sum(thinking_tokens), 0)::int AS thinking
       FROM messages WHERE user_id = $1 AND role = 'model'`,
      [userId],
    );
    expect(report.body.totals).toEqual({
      prompts: 4,
      repliesCompleted: 2,
      repliesFailed: 1,
      repliesCancelled: 1,
      promptTokens: stored[0].prompt,
      outputTokens: stored[0].output,
      thinkingTokens: 12,
      totalTokens: stored[0].prompt + stored[0].output + 12,
      systemTokens: PROMPT_TOKENS + 3,
    });
    expect(report.body.totals.promptTokens).toBe(2 * PROMPT_TOKENS);
    const today = report.body.days.at(-1)!;
    expect(today).toMatchObject({ day: report.body.to, prompts: 4 });
    expect(await tokensOf(client)).toMatchObject({ used: today.totalTokens, reserved: 0, limit: 1000 });
    await expectLedgerMatchesReplies(stack.database.query);
  }, 60_000);

  it('caps each reply to what is left of the budget, refuses prompts once it is spent, and accepts them again next month', async () => {
    const { client } = await newUser();
    const roomId = await room(client);
    const first = await client.post<SentBody>(`/chatroom/${roomId}/message?wait=30`, { content: 'one' });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-tokenbudget-limit')).toBe(String(BUDGET));
    // Reserved at acceptance: its whole output cap, at most what was left.
    expect(stack.gemini.requests.at(-1)!.body.generationConfig?.maxOutputTokens).toBe(BUDGET);
    expect(await tokensOf(client)).toMatchObject({
      used: ONE_WORD_REPLY_TOKENS,
      reserved: 0,
      remaining: BUDGET - ONE_WORD_REPLY_TOKENS,
    });
    await client.post(`/chatroom/${roomId}/message?wait=30`, { content: 'two' });
    expect(stack.gemini.requests.at(-1)!.body.generationConfig?.maxOutputTokens).toBe(
      BUDGET - ONE_WORD_REPLY_TOKENS,
    );
    for (const content of ['three', 'four']) {
      expect((await client.post(`/chatroom/${roomId}/message?wait=30`, { content })).status).toBe(200);
    }
    expect(await tokensOf(client)).toMatchObject({ used: BUDGET, remaining: 0, limit: BUDGET });

    const usedBefore = (await client.get<{ usage: { used: number } }>('/user/me')).body.usage.used;
    const refused = await client.post<Problem>(`/chatroom/${roomId}/message`, { content: 'five' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.code).toBe('TOKEN_BUDGET_EXCEEDED');
    const now = new Date();
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan((nextMonth - Date.now()) / 1000 - 60);
    expect(refused.headers.get('x-tokenbudget-remaining')).toBe('0');
    expect(refused.headers.get('x-tokenbudget-reset')).toBe(String(nextMonth / 1000));
    expect(refused.body.detail).toContain(new Date(nextMonth).toISOString());
    // Refused up front: no daily quota used, nothing stored.
    expect((await client.get<{ usage: { used: number } }>('/user/me')).body.usage.used).toBe(usedBefore);
    const { Clock } = await import('../apps/api/src/quota/clock');
    const clock = stack.api.app.get(Clock, { strict: false });
    const realNow = clock.now.bind(clock);
    clock.now = () => new Date(nextMonth + 3_600_000);
    try {
      const accepted = await client.post<SentBody>(`/chatroom/${roomId}/message`, { content: 'next month' });
      expect(accepted.status).toBe(202);
      expect(accepted.headers.get('x-tokenbudget-remaining')).toBe('0');
      await final(client, roomId, accepted.body.reply.id);
    } finally {
      clock.now = realNow;
    }
  }, 60_000);

  it("applies the new tier's budget to what was already used when the user moves tier mid-month", async () => {
    const { client, userId } = await newUser();
    const roomId = await room(client);
    for (const content of ['a', 'b', 'c', 'd'])
      await client.post(`/chatroom/${roomId}/message?wait=30`, { content });
    expect((await client.post(`/chatroom/${roomId}/message`, { content: 'e' })).status).toBe(429);
    await stack.database.query(`UPDATE users SET tier = 'pro' WHERE id = $1`, [userId]);
    const accepted = await client.post<SentBody>(`/chatroom/${roomId}/message?wait=30`, { content: 'e' });
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('x-tokenbudget-limit')).toBe('1000');
    expect(await tokensOf(client)).toMatchObject({ used: 5 * ONE_WORD_REPLY_TOKENS, limit: 1000 });
    const status = await client.get<{ tokens: Tokens; usage: { used: number } }>('/subscription/status');
    expect(status.body.tokens).toMatchObject({ used: 5 * ONE_WORD_REPLY_TOKENS, remaining: 1000 - 50 });
    expect(status.body.usage.used).toBe(5);
  }, 60_000);

  it('reports a range of days with zeros where nothing happened, and refuses malformed or overlong ranges', async () => {
    const { client } = await newUser();
    const week = await client.get<Report>('/usage?from=2026-01-01&to=2026-01-07');
    expect(week.status).toBe(200);
    expect(week.body.days.map((day) => day.day)).toEqual([
      '2026-01-01',
      '2026-01-02',
      '2026-01-03',
      '2026-01-04',
      '2026-01-05',
      '2026-01-06',
      '2026-01-07',
    ]);
    expect(week.body.totals.totalTokens).toBe(0);
    expect((await client.get<Report>('/usage?from=2024-01-01&to=2024-12-31')).body.days).toHaveLength(366);
    for (const query of [
      'from=2026-02-30',
      'from=2026-13-01',
      'from=26-01-01',
      'from=2026-02-01&to=2026-01-01',
      'from=2024-01-01&to=2025-01-01',
      'from=1999-12-31&to=2000-01-01',
    ]) {
      const response = await client.get<Problem>(`/usage?${query}`);
      expect([query, response.status, response.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }
  }, 30_000);

  it('counts a job delivered twice, and an attempt retried after a 503, once', async () => {
    const { client } = await newUser();
    const roomId = await room(client);
    stack.gemini.scriptFor('retried', { kind: 'error', status: 503 });
    const sent = await client.post<SentBody>(`/chatroom/${roomId}/message?wait=30`, { content: 'retried' });
    expect(sent.body.reply).toMatchObject({ status: 'completed' });
    const queue = new Queue(QueueName.Replies, {
      connection: { url: stack.config.redis.url },
      prefix: stack.config.redis.prefix,
    });
    try {
      // A second delivery of the same reply's job, as after a lost lock: the worker finds the reply final.
      const again = await queue.add(ReplyJobName.Generate, { replyId: sent.body.reply.id });
      await eventually(async () => ((await queue.getJob(again.id!))?.finishedOn ? true : undefined), 10_000);
    } finally {
      await queue.close();
    }
    expect(stack.gemini.requests).toHaveLength(2);
    await expectLedgerMatchesReplies(stack.database.query);
  }, 60_000);

  describe('across two api processes at once', () => {
    let apis: SpawnedApi[] = [];

    beforeAll(async () => {
      apis = await Promise.all([spawnApi(stack.env), spawnApi(stack.env)]);
    }, STACK_TIMEOUT_MS);
    afterAll(async () => {
      await Promise.all(apis.map((api) => api.stop()));
    }, STACK_TIMEOUT_MS);

    it('accepts exactly as many concurrent prompts as their reservations fit, refuses the rest, and never overshoots', async () => {
      const { client } = await newUser();
      // Each reply reserves its output cap (10): the budget holds 4 of them.
      const roomId = await room(client, { title: 'capped', settings: { maxOutputTokens: 10 } });
      const sent = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          new ApiClient(apis[index % 2].url, client.accessToken).post<SentBody | Problem>(
            `/chatroom/${roomId}/message`,
            { content: `concurrent ${index}` },
          ),
        ),
      );
      const statuses = sent.map((response) => response.status);
      expect(statuses.filter((status) => status === 202)).toHaveLength(BUDGET / 10);
      expect(statuses.filter((status) => status === 429)).toHaveLength(20 - BUDGET / 10);
      for (const response of sent.filter((answer) => answer.status === 429)) {
        expect((response.body as Problem).code).toBe('TOKEN_BUDGET_EXCEEDED');
      }
      for (const response of sent.filter((answer) => answer.status === 202)) {
        await final(client, roomId, (response.body as SentBody).reply.id);
      }
      const tokens = await tokensOf(client);
      expect(tokens.reserved).toBe(0);
      const [{ output }] = await stack.database.query<{ output: number }>(
        `SELECT sum(output_tokens)::int AS output FROM messages WHERE chatroom_id = $1`,
        [roomId],
      );
      // Over the budget by no more than the accepted prompts' own tokens.
      expect(output).toBeLessThanOrEqual(BUDGET);
      expect(tokens.used).toBeLessThanOrEqual(BUDGET + (BUDGET / 10) * PROMPT_TOKENS);
      await expectLedgerMatchesReplies(stack.database.query);
    }, 60_000);

    it('refuses a spent budget on both processes at once with the problem body and headers', async () => {
      const { client } = await newUser();
      const roomId = await room(client);
      for (const content of ['a', 'b', 'c', 'd'])
        await client.post(`/chatroom/${roomId}/message?wait=30`, { content });
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          new ApiClient(apis[index % 2].url, client.accessToken).post<Problem>(
            `/chatroom/${roomId}/message`,
            {
              content: `late ${index}`,
            },
          ),
        ),
      );
      for (const answer of answers) {
        expect([answer.status, answer.body.code, answer.headers.get('x-tokenbudget-remaining')]).toEqual([
          429,
          'TOKEN_BUDGET_EXCEEDED',
          '0',
        ]);
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    }, 60_000);
  });
});
