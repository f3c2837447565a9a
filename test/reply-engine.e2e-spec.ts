import Redis from 'ioredis';
import { signIn } from './support/auth';
import { ApiClient, eventually, readSse } from './support/http';
import { openStream } from './support/sse-stream';
import { Stack, startStack } from './support/stack';
import { MessageBody, SentBody } from './support/types';

const FINAL = ['completed', 'failed', 'cancelled'];

describe('reply engine', () => {
  let stack: Stack;
  let alice: ApiClient;
  let aliceToken: string;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startStack({ MAX_STREAMS_PER_USER: '3', MAX_CHATROOMS_PER_USER: '20' });
    aliceToken = (await signIn(stack.api.url)).accessToken;
    alice = new ApiClient(stack.api.url, aliceToken);
    redis = new Redis(stack.config.redis.url);
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  }, 60_000);
  beforeEach(() => stack.gemini.reset());

  const createRoom = async (client = alice): Promise<string> => {
    const response = await client.post<{ id: string }>('/chatroom', {});
    expect(response.status).toBe(201);
    return response.body.id;
  };
  const finalReply = (roomId: string, replyId: string, client = alice): Promise<MessageBody> =>
    eventually(async () => {
      const { body } = await client.get<MessageBody>(`/chatroom/${roomId}/message/${replyId}`);
      return FINAL.includes(body.status) ? body : undefined;
    }, 20_000);
  const streamUrl = (roomId: string, replyId: string): string =>
    `${stack.api.url}/chatroom/${roomId}/message/${replyId}/stream`;

  it('answers each of many concurrent prompts in one room with its own prompt as the last turn', async () => {
    const roomId = await createRoom();
    for (let round = 0; round < 5; round++) {
      const prompts = Array.from({ length: 10 }, (_, index) => `question-${round}-${index}`);
      const sent = await Promise.all(
        prompts.map((content) => alice.post<SentBody>(`/chatroom/${roomId}/message`, { content })),
      );
      const replies = await Promise.all(sent.map((response) => finalReply(roomId, response.body.reply.id)));
      replies.forEach((reply, index) => expect(reply.content).toBe(`You said: ${prompts[index]}`));
    }
    for (const request of stack.gemini.requests) {
      const roles = request.body.contents.map((content) => content.role);
      expect(roles.at(-1)).toBe('user');
      roles.forEach((role, index) => expect(role).toBe(index % 2 === 0 ? 'user' : 'model'));
    }
  }, 120_000);

  it('builds each context from the completed exchanges before its own prompt, in order', async () => {
    const roomId = await createRoom();
    for (const content of ['one', 'two', 'three']) {
      expect((await alice.post(`/chatroom/${roomId}/message?wait=20`, { content })).status).toBe(200);
    }
    const texts = stack.gemini.requests.at(-1)!.body.contents.map((content) => content.parts[0].text);
    expect(texts).toEqual(['one', 'You said: one', 'two', 'You said: two', 'three']);
  }, 60_000);

  it('streams reset first and a final event with exactly the stored content', async () => {
    const roomId = await createRoom();
    stack.gemini.script({ kind: 'answer', chunks: ['Hel', 'lo ', 'there'], chunkDelayMs: 50 });
    const sent = await alice.post<SentBody>(`/chatroom/${roomId}/message`, { content: 'hi' });
    const { events } = await readSse(
      streamUrl(roomId, sent.body.reply.id),
      { authorization: `Bearer ${aliceToken}` },
      (event) => event.event === 'final',
      20_000,
    );
    expect(events[0].event).toBe('ping');
    expect(events[1].event).toBe('reset');
    const final = events.at(-1)!;
    expect(final.event).toBe('final');
    const stored = await finalReply(roomId, sent.body.reply.id);
    expect(final.data).toEqual(stored);
    expect(stored.content).toBe('Hello there');
  }, 60_000);

  it('cancels mid-stream: the reply keeps, and the stream ends with, exactly the text streamed', async () => {
    const roomId = await createRoom();
    stack.gemini.script({ kind: 'answer', chunks: ['partial ', 'text ', 'and more'], chunkDelayMs: 400 });
    const sent = await alice.post<SentBody>(`/chatroom/${roomId}/message`, { content: 'long one' });
    const stream = openStream(streamUrl(roomId, sent.body.reply.id), aliceToken);
    await eventually(() =>
      Promise.resolve(stream.events.some((event) => event.event === 'delta') ? true : undefined),
    );
    const cancelled = await alice.post<MessageBody>(
      `/chatroom/${roomId}/message/${sent.body.reply.id}/cancel`,
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await stream.ended;
    const deltas = stream.events
      .filter((event) => event.event === 'delta')
      .map((event) => (event.data as { text: string }).text)
      .join('');
    const final = stream.events.at(-1)!;
    expect(final.event).toBe('final');
    expect((final.data as MessageBody).content).toBe(deltas);
    expect(cancelled.body.content).toBe(deltas);
    expect(deltas.length).toBeGreaterThan(0);
    const stored = await alice.get<MessageBody>(`/chatroom/${roomId}/message/${sent.body.reply.id}`);
    expect(stored.body).toEqual(final.data);
    // The worker's later completion changes nothing.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await alice.get<MessageBody>(`/chatroom/${roomId}/message/${sent.body.reply.id}`)).body).toEqual(
      stored.body,
    );
  }, 60_000);

  it('ends the stream with an error event when the chatroom is deleted mid-generation', async () => {
    const roomId = await createRoom();
    stack.gemini.script({ kind: 'hang' });
    const sent = await alice.post<SentBody>(`/chatroom/${roomId}/message`, { content: 'x' });
    const stream = openStream(streamUrl(roomId, sent.body.reply.id), aliceToken);
    await eventually(() => Promise.resolve(stream.events.length > 0 ? true : undefined));
    expect((await alice.delete(`/chatroom/${roomId}`)).status).toBe(204);
    await stream.ended;
    expect(stream.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'CHATROOM_DELETED' } });
  }, 60_000);

  it('ends open streams within seconds of logout', async () => {
    const bob = await signIn(stack.api.url);
    const bobClient = new ApiClient(stack.api.url, bob.accessToken);
    const roomId = await createRoom(bobClient);
    stack.gemini.script({ kind: 'hang' });
    const sent = await bobClient.post<SentBody>(`/chatroom/${roomId}/message`, { content: 'x' });
    const stream = openStream(streamUrl(roomId, sent.body.reply.id), bob.accessToken);
    await eventually(() => Promise.resolve(stream.events.length > 0 ? true : undefined));
    const started = Date.now();
    expect((await bobClient.post('/auth/logout', { refreshToken: bob.refreshToken })).status).toBeLessThan(
      300,
    );
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(stream.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'SESSION_ENDED' } });
  }, 60_000);

  it('caps concurrent streams and waits per user with 429, charging no quota for a refused wait', async () => {
    const carol = await signIn(stack.api.url);
    const client = new ApiClient(stack.api.url, carol.accessToken);
    const roomId = await createRoom(client);
    stack.gemini.script({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
    const replies = await Promise.all(
      [1, 2, 3].map(async (index) => {
        const sent = await client.post<SentBody>(`/chatroom/${roomId}/message`, { content: `p${index}` });
        return sent.body.reply.id;
      }),
    );
    const streams = replies.map((replyId) => openStream(streamUrl(roomId, replyId), carol.accessToken));
    await eventually(() =>
      Promise.resolve(streams.every((stream) => stream.events.length > 0) ? true : undefined),
    );

    const fourth = await client.get(`/chatroom/${roomId}/message/${replies[0]}/stream`);
    expect(fourth.status).toBe(429);
    expect(fourth.body).toMatchObject({ code: 'STREAM_LIMIT_REACHED' });
    const usageBefore = (await client.get<{ usage: { used: number } }>('/user/me')).body.usage.used;
    const wait = await client.post(`/chatroom/${roomId}/message?wait=5`, { content: 'more' });
    expect(wait.status).toBe(429);
    expect((await client.get<{ usage: { used: number } }>('/user/me')).body.usage.used).toBe(usageBefore);

    streams[0].close();
    await eventually(async () => {
      const retry = await client.get(`/chatroom/${roomId}/message/${replies[0]}`);
      const again = openStream(streamUrl(roomId, replies[0]), carol.accessToken);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const accepted = again.events.length > 0;
      again.close();
      return retry.status === 200 && accepted ? true : undefined;
    }, 5000);
    streams.forEach((stream) => stream.close());
  }, 60_000);

  it('never passes the chatroom cap under concurrent creates', async () => {
    const dave = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    for (let index = 0; index < 15; index++) await createRoom(dave);
    const results = await Promise.all(Array.from({ length: 30 }, () => dave.post('/chatroom', {})));
    expect(results.filter((result) => result.status === 201)).toHaveLength(5);
    expect(results.filter((result) => result.status === 409)).toHaveLength(25);
    const list = await dave.get<{ items: unknown[] }>('/chatroom?limit=100');
    expect(list.body.items).toHaveLength(20);
  }, 60_000);

  it('answers 404 and refunds the quota when a prompt races the deletion of its chatroom', async () => {
    const erin = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    let accepted = 0;
    for (let round = 0; round < 20; round++) {
      const roomId = await createRoom(erin);
      const [post, removal] = await Promise.all([
        erin.post(`/chatroom/${roomId}/message`, { content: `race ${round}` }),
        erin.delete(`/chatroom/${roomId}`),
      ]);
      expect(removal.status).toBe(204);
      expect([202, 404]).toContain(post.status);
      if (post.status === 202) accepted++;
    }
    const usage = (await erin.get<{ usage: { used: number } }>('/user/me')).body.usage;
    expect(usage.used).toBe(accepted);
  }, 120_000);

  it('leaves no key of its own without an expiry', async () => {
    const roomId = await createRoom();
    stack.gemini.script({ kind: 'hang' });
    const queued = await alice.post<SentBody>(`/chatroom/${roomId}/message`, { content: 'to cancel' });
    expect((await alice.post(`/chatroom/${roomId}/message/${queued.body.reply.id}/cancel`)).status).toBe(200);
    const done = await alice.post<SentBody>(`/chatroom/${roomId}/message?wait=20`, { content: 'done' });
    expect(done.status).toBe(200);
    const prefix = stack.config.redis.prefix;
    const keys = await redis.keys(`${prefix}:*`);
    const ours = keys.filter((key) => !key.startsWith(`${prefix}:replies:`));
    expect(ours.some((key) => key.includes('reply-stream'))).toBe(true);
    const withoutExpiry: string[] = [];
    for (const key of ours) if ((await redis.ttl(key)) === -1) withoutExpiry.push(key);
    expect(withoutExpiry).toEqual([]);
  }, 60_000);
});
