import { signIn } from './support/auth';
import { ApiClient, eventually, readSse } from './support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';
import { MessageBody, SentBody } from './support/types';

interface Room {
  id: string;
  title: string;
  lastActivityAt: string;
}
type Msg = MessageBody;
type Sent = SentBody;

describe('chatrooms and conversations', () => {
  let stack: Stack;
  let alice: ApiClient;
  let bob: ApiClient;

  beforeAll(async () => {
    stack = await startStack();
    alice = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    bob = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);
  beforeEach(() => stack.gemini.reset());

  const createRoom = async (client: ApiClient, title?: string): Promise<Room> => {
    const response = await client.post<Room>('/chatroom', title === undefined ? {} : { title });
    expect(response.status).toBe(201);
    return response.body;
  };
  const finalReply = (client: ApiClient, roomId: string, replyId: string): Promise<Msg> =>
    eventually(async () => {
      const { body } = await client.get<Msg>(`/chatroom/${roomId}/message/${replyId}`);
      return ['completed', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    });

  describe('chatrooms', () => {
    it('creates a chatroom with a default title', async () => {
      const room = await createRoom(alice);
      expect(room.title).toBe('New chat');
    });

    it('lists chatrooms most recently active first, then from cache', async () => {
      const client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
      const older = await createRoom(client, 'older');
      const newer = await createRoom(client, 'newer');
      const first = await client.get<{ items: Room[] }>('/chatroom');
      expect(first.headers.get('x-cache')).toBe('MISS');
      expect(first.body.items.map((room) => room.id)).toEqual([newer.id, older.id]);
      // The write's second, delayed invalidation (500 ms after it) may empty the cache once more on a slow machine;
      // the read after that fills it again.
      const second = await eventually(async () => {
        const answer = await client.get<{ items: Room[] }>('/chatroom');
        return answer.headers.get('x-cache') === 'HIT' ? answer : undefined;
      }, 5_000);
      expect(second.body).toEqual(first.body);
    });

    it('invalidates the cached list after create, rename, delete and a new message', async () => {
      const client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
      const a = await createRoom(client, 'a');
      const b = await createRoom(client, 'b');
      await client.get('/chatroom');
      expect((await client.get('/chatroom')).headers.get('x-cache')).toBe('HIT');

      const c = await createRoom(client, 'c');
      let list = await client.get<{ items: Room[] }>('/chatroom');
      expect(list.headers.get('x-cache')).toBe('MISS');
      expect(list.body.items.map((room) => room.id)).toEqual([c.id, b.id, a.id]);

      await client.patch(`/chatroom/${a.id}`, { title: 'renamed' });
      list = await client.get<{ items: Room[] }>('/chatroom');
      expect(list.headers.get('x-cache')).toBe('MISS');
      expect(list.body.items.find((room) => room.id === a.id)?.title).toBe('renamed');

      await client.post(`/chatroom/${a.id}/message`, { content: 'bump a to the top' });
      list = await client.get<{ items: Room[] }>('/chatroom');
      expect(list.headers.get('x-cache')).toBe('MISS');
      expect(list.body.items[0].id).toBe(a.id);

      expect((await client.delete(`/chatroom/${b.id}`)).status).toBe(204);
      list = await client.get<{ items: Room[] }>('/chatroom');
      expect(list.headers.get('x-cache')).toBe('MISS');
      expect(list.body.items.map((room) => room.id)).not.toContain(b.id);
    });

    it('reads the database and refreshes the cache when the client sends Cache-Control: no-cache', async () => {
      const session = await signIn(stack.api.url);
      const client = new ApiClient(stack.api.url, session.accessToken);
      await createRoom(client, 'known');
      await client.get('/chatroom');
      // Written behind the api's back, so only a read that skips the cache can see it.
      await stack.database.query(
        "INSERT INTO chatrooms (user_id, title, last_activity_at) VALUES ($1, 'unseen', now() + interval '1 minute')",
        [session.user.id],
      );
      const cached = await client.get<{ items: Room[] }>('/chatroom');
      expect(cached.headers.get('x-cache')).toBe('HIT');
      expect(cached.body.items.map((room) => room.title)).toEqual(['known']);

      const fresh = await client.get<{ items: Room[] }>('/chatroom', { 'cache-control': 'no-cache' });
      expect(fresh.headers.get('x-cache')).toBe('MISS');
      expect(fresh.body.items.map((room) => room.title)).toEqual(['unseen', 'known']);

      const refreshed = await client.get<{ items: Room[] }>('/chatroom');
      expect(refreshed.headers.get('x-cache')).toBe('HIT');
      expect(refreshed.body.items.map((room) => room.title)).toEqual(['unseen', 'known']);
    });

    it("keeps each user's cached list to that user", async () => {
      const mine = await createRoom(alice, 'alice only');
      await alice.get('/chatroom');
      const bobs = await bob.get<{ items: Room[] }>('/chatroom');
      expect(bobs.body.items.map((room) => room.id)).not.toContain(mine.id);
    });

    it('paginates the list with a cursor and caps the page size', async () => {
      const client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) ids.unshift((await createRoom(client, `room ${index}`)).id);
      const page1 = await client.get<{ items: Room[]; nextCursor: string }>('/chatroom?limit=2');
      const page2 = await client.get<{ items: Room[]; nextCursor: string }>(
        `/chatroom?limit=2&cursor=${page1.body.nextCursor}`,
      );
      const page3 = await client.get<{ items: Room[]; nextCursor: string | null }>(
        `/chatroom?limit=2&cursor=${page2.body.nextCursor}`,
      );
      expect([...page1.body.items, ...page2.body.items, ...page3.body.items].map((room) => room.id)).toEqual(
        ids,
      );
      expect(page3.body.nextCursor).toBeNull();
      expect((await client.get('/chatroom?limit=101')).status).toBe(400);
      expect((await client.get('/chatroom?cursor=garbage')).status).toBe(400);
    });

    it('shows a chatroom with its recent messages, oldest first', async () => {
      const room = await createRoom(alice, 'detail');
      const sent = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'first' });
      await finalReply(alice, room.id, sent.body.reply.id);
      const detail = await alice.get<Room & { recentMessages: Msg[] }>(`/chatroom/${room.id}`);
      expect(detail.status).toBe(200);
      expect(detail.body.recentMessages.map((message) => message.role)).toEqual(['user', 'model']);
    });

    it('deletes a chatroom with its messages', async () => {
      const room = await createRoom(alice, 'to delete');
      await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'soon gone' });
      expect((await alice.delete(`/chatroom/${room.id}`)).status).toBe(204);
      expect((await alice.get(`/chatroom/${room.id}`)).status).toBe(404);
      const rows = await stack.database.query('SELECT id FROM messages WHERE chatroom_id = $1', [room.id]);
      expect(rows).toHaveLength(0);
    });

    it('rejects blank or too long titles and malformed ids with 400', async () => {
      expect((await alice.post('/chatroom', { title: '   ' })).status).toBe(400);
      expect((await alice.post('/chatroom', { title: 'x'.repeat(201) })).status).toBe(400);
      expect((await alice.get('/chatroom/not-a-uuid')).status).toBe(400);
      expect((await alice.patch('/chatroom/not-a-uuid', { title: 'x' })).status).toBe(400);
    });
  });

  describe("another user's data", () => {
    it('is 404 on every route, with nothing of it in the answer', async () => {
      const room = await createRoom(alice, 'private plans');
      const sent = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'my secret prompt' });
      const reply = sent.body.reply.id;
      const attempts = [
        bob.get(`/chatroom/${room.id}`),
        bob.patch(`/chatroom/${room.id}`, { title: 'hijacked' }),
        bob.delete(`/chatroom/${room.id}`),
        bob.get(`/chatroom/${room.id}/message`),
        bob.post(`/chatroom/${room.id}/message`, { content: 'hello?' }),
        bob.get(`/chatroom/${room.id}/message/${reply}`),
        bob.post(`/chatroom/${room.id}/message/${reply}/cancel`),
        bob.get(`/chatroom/${room.id}/message/${reply}/stream`),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(404);
        expect(JSON.stringify(response.body)).not.toMatch(/private plans|my secret prompt/);
      }
      expect((await alice.get<Room>(`/chatroom/${room.id}`)).body.title).toBe('private plans');
    });
  });

  describe('messages', () => {
    it('accepts a prompt with 202, a Location and a queued reply, then completes it with usage', async () => {
      const room = await createRoom(alice);
      const sent = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: '  What is 2+2?  ' });
      expect(sent.status).toBe(202);
      expect(sent.headers.get('location')).toBe(`/chatroom/${room.id}/message/${sent.body.reply.id}`);
      expect(sent.body.message).toMatchObject({ role: 'user', content: 'What is 2+2?', status: 'completed' });
      expect(sent.body.reply).toMatchObject({
        role: 'model',
        status: 'queued',
        replyToId: sent.body.message.id,
      });

      const reply = await finalReply(alice, room.id, sent.body.reply.id);
      expect(reply).toMatchObject({
        status: 'completed',
        content: 'You said: What is 2+2?',
        finishReason: 'STOP',
      });
      expect(reply.usage).toEqual({ promptTokens: 7, outputTokens: 5, totalTokens: 12 });
    });

    it('sends the conversation so far to Gemini as user/model turns', async () => {
      const room = await createRoom(alice);
      const first = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'My name is Ada.' });
      await finalReply(alice, room.id, first.body.reply.id);
      stack.gemini.reset();
      const second = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'What is my name?' });
      await finalReply(alice, room.id, second.body.reply.id);
      expect(stack.gemini.requests).toHaveLength(1);
      expect(stack.gemini.requests[0].body.contents).toEqual([
        { role: 'user', parts: [{ text: 'My name is Ada.' }] },
        { role: 'model', parts: [{ text: 'You said: My name is Ada.' }] },
        { role: 'user', parts: [{ text: 'What is my name?' }] },
      ]);
      expect(stack.gemini.requests[0].body.generationConfig?.maxOutputTokens).toBe(2048);
    });

    it('holds the response with ?wait until the reply is final and answers 200', async () => {
      const room = await createRoom(alice);
      stack.gemini.script({ kind: 'answer', chunks: ['slow ', 'answer'], chunkDelayMs: 200 });
      const sent = await alice.post<Sent>(`/chatroom/${room.id}/message?wait=10`, {
        content: 'take your time',
      });
      expect(sent.status).toBe(200);
      expect(sent.body.reply).toMatchObject({ status: 'completed', content: 'slow answer' });
    });

    it('answers 202 with the reply as it stands when ?wait runs out', async () => {
      const room = await createRoom(alice);
      stack.gemini.script({ kind: 'answer', chunks: ['a', 'b', 'c'], chunkDelayMs: 1500 });
      const sent = await alice.post<Sent>(`/chatroom/${room.id}/message?wait=1`, { content: 'very slow' });
      expect(sent.status).toBe(202);
      expect(['queued', 'generating']).toContain(sent.body.reply.status);
      await finalReply(alice, room.id, sent.body.reply.id);
    });

    it('returns the original response for a retried POST with the same Idempotency-Key', async () => {
      const room = await createRoom(alice);
      const headers = { 'idempotency-key': `retry-${Date.now()}` };
      // Still open when the retry arrives (an instant answer could be final by then, and a final replay is 200).
      stack.gemini.script({ kind: 'answer', chunks: ['slow ', 'enough'], chunkDelayMs: 300 });
      const first = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'only once' }, headers);
      const again = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'only once' }, headers);
      expect(again.status).toBe(202);
      expect(again.body.message.id).toBe(first.body.message.id);
      expect(again.body.reply.id).toBe(first.body.reply.id);
      await finalReply(alice, room.id, first.body.reply.id);
      const rows = await stack.database.query('SELECT id FROM messages WHERE chatroom_id = $1', [room.id]);
      expect(rows).toHaveLength(2);
      expect(stack.gemini.requests).toHaveLength(1);
    });

    it('creates one message for concurrent POSTs with the same Idempotency-Key', async () => {
      const room = await createRoom(alice);
      const headers = { 'idempotency-key': `race-${Date.now()}` };
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'race' }, headers),
        ),
      );
      expect(new Set(answers.map((answer) => answer.body.reply.id)).size).toBe(1);
      const rows = await stack.database.query('SELECT id FROM messages WHERE chatroom_id = $1', [room.id]);
      expect(rows).toHaveLength(2);
    });

    it('rejects an Idempotency-Key reused for a different message with 422', async () => {
      const room = await createRoom(alice);
      const headers = { 'idempotency-key': `reuse-${Date.now()}` };
      await alice.post(`/chatroom/${room.id}/message`, { content: 'one' }, headers);
      const other = await alice.post(`/chatroom/${room.id}/message`, { content: 'two' }, headers);
      expect(other.status).toBe(422);
      expect(other.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    });

    it('validates the prompt: required, trimmed, at most 8000 characters, no unknown fields', async () => {
      const room = await createRoom(alice);
      const path = `/chatroom/${room.id}/message`;
      const cases = [
        {},
        { content: '' },
        { content: '    ' },
        { content: 42 },
        { content: 'x'.repeat(8001) },
        { content: 'ok', role: 'model' },
      ];
      for (const body of cases) {
        const response = await alice.post(path, body);
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      expect((await alice.post(`${path}?wait=61`, { content: 'ok' })).status).toBe(400);
      expect(
        (await alice.post(path, { content: 'ok' }, { 'idempotency-key': 'bad key with spaces' })).status,
      ).toBe(400);
      const rows = await stack.database.query('SELECT id FROM messages WHERE chatroom_id = $1', [room.id]);
      expect(rows).toHaveLength(0);
    });

    it('pages through the conversation, newest first, with a capped page size', async () => {
      const room = await createRoom(alice);
      for (const content of ['one', 'two', 'three']) {
        const sent = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content });
        await finalReply(alice, room.id, sent.body.reply.id);
      }
      const page1 = await alice.get<{ items: Msg[]; nextCursor: string }>(
        `/chatroom/${room.id}/message?limit=4`,
      );
      const page2 = await alice.get<{ items: Msg[]; nextCursor: string | null }>(
        `/chatroom/${room.id}/message?limit=4&cursor=${page1.body.nextCursor}`,
      );
      const all = [...page1.body.items, ...page2.body.items];
      expect(all.map((message) => `${message.role}`)).toEqual([
        'model',
        'user',
        'model',
        'user',
        'model',
        'user',
      ]);
      expect(all.filter((message) => message.role === 'user').map((message) => message.content)).toEqual([
        'three',
        'two',
        'one',
      ]);
      expect(page2.body.nextCursor).toBeNull();
      expect((await alice.get(`/chatroom/${room.id}/message?limit=0`)).status).toBe(400);
      expect((await alice.get(`/chatroom/${room.id}/message?limit=500`)).status).toBe(400);
    });
  });

  describe('streaming', () => {
    const streamUrl = (roomId: string, replyId: string): string =>
      `${stack.api.url}/chatroom/${roomId}/message/${replyId}/stream`;

    it('streams deltas as Gemini sends them, then the final message with usage', async () => {
      const room = await createRoom(alice);
      stack.gemini.script({ kind: 'answer', chunks: ['Hel', 'lo ', 'world'], chunkDelayMs: 100 });
      const sent = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'greet me' });
      const { status, contentType, events } = await readSse(
        streamUrl(room.id, sent.body.reply.id),
        { authorization: `Bearer ${alice.accessToken}` },
        (event) => event.event === 'final',
      );
      expect(status).toBe(200);
      expect(contentType).toContain('text/event-stream');
      const deltas = events
        .filter((event) => event.event === 'delta')
        .map((event) => (event.data as { text: string }).text);
      expect(deltas.join('')).toBe('Hello world');
      const final = events.at(-1)!;
      expect(final.event).toBe('final');
      expect(final.data).toMatchObject({
        status: 'completed',
        content: 'Hello world',
        usage: { totalTokens: 9 },
      });
    });

    it('gives a late joiner the whole text, and a client after completion the final event at once', async () => {
      const room = await createRoom(alice);
      stack.gemini.script({ kind: 'answer', chunks: ['one ', 'two ', 'three'], chunkDelayMs: 150 });
      const sent = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'count' });
      await new Promise((resolve) => setTimeout(resolve, 250));
      const late = await readSse(
        streamUrl(room.id, sent.body.reply.id),
        { authorization: `Bearer ${alice.accessToken}` },
        (event) => event.event === 'final',
      );
      const text = late.events
        .filter((event) => event.event === 'delta')
        .map((event) => (event.data as { text: string }).text)
        .join('');
      expect(text).toBe('one two three');

      const after = await readSse(streamUrl(room.id, sent.body.reply.id), {
        authorization: `Bearer ${alice.accessToken}`,
      });
      expect(after.events.map((event) => event.event)).toEqual(['final']);
      expect(after.events[0].data).toMatchObject({ content: 'one two three' });
    });

    it('resumes after Last-Event-ID without repeating what the client has', async () => {
      const room = await createRoom(alice);
      stack.gemini.script({ kind: 'answer', chunks: ['a', 'b', 'c', 'd'], chunkDelayMs: 100 });
      const sent = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'letters' });
      const headers = { authorization: `Bearer ${alice.accessToken}` };
      const firstPart = await readSse(
        streamUrl(room.id, sent.body.reply.id),
        headers,
        (_event, all) => all.filter((e) => e.event === 'delta').length === 2,
      );
      const lastSeen = firstPart.events.at(-1)!.id!;
      const rest = await readSse(
        streamUrl(room.id, sent.body.reply.id),
        { ...headers, 'last-event-id': lastSeen },
        (event) => event.event === 'final',
      );
      const deltas = (events: typeof rest.events): string =>
        events
          .filter((event) => event.event === 'delta')
          .map((event) => (event.data as { text: string }).text)
          .join('');
      expect(deltas(firstPart.events) + deltas(rest.events)).toBe('abcd');
    });
  });

  describe('cancel', () => {
    it('stops a reply mid-stream and keeps the partial text', async () => {
      const room = await createRoom(alice);
      stack.gemini.script({
        kind: 'answer',
        chunks: ['partial ', 'text ', 'that ', 'never ', 'ends'],
        chunkDelayMs: 300,
      });
      const sent = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'long story' });
      await eventually(async () => {
        const { body } = await alice.get<Msg>(`/chatroom/${room.id}/message/${sent.body.reply.id}`);
        return body.status === 'generating' ? body : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const cancelled = await alice.post<Msg>(`/chatroom/${room.id}/message/${sent.body.reply.id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      const reply = await eventually(async () => {
        const { body } = await alice.get<Msg>(`/chatroom/${room.id}/message/${sent.body.reply.id}`);
        return body.content ? body : undefined;
      });
      expect(reply.status).toBe('cancelled');
      expect(reply.content.startsWith('partial ')).toBe(true);
      expect(reply.content).not.toContain('ends');
    });

    it('answers 409 when the reply is already final, or the message is not a reply', async () => {
      const room = await createRoom(alice);
      const sent = await alice.post<Sent>(`/chatroom/${room.id}/message`, { content: 'quick' });
      await finalReply(alice, room.id, sent.body.reply.id);
      const late = await alice.post(`/chatroom/${room.id}/message/${sent.body.reply.id}/cancel`);
      expect(late.status).toBe(409);
      expect(late.body).toMatchObject({ code: 'REPLY_ALREADY_FINAL' });
      expect((await alice.post(`/chatroom/${room.id}/message/${sent.body.message.id}/cancel`)).status).toBe(
        409,
      );
    });
  });
});
