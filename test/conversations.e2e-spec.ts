import { signIn } from './support/auth';
import { ApiClient, eventually } from './support/http';
import { openStream } from './support/sse-stream';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';
import { MessageBody, SentBody } from './support/types';

interface PathMessage extends MessageBody {
  versions: { position: number; count: number; ids: string[] };
}
interface Room {
  id: string;
  title: string;
  titleSource: string;
  settings: Record<string, unknown>;
}
interface RoomDetail extends Room {
  recentMessages: PathMessage[];
  generation: { model: string; maxOutputTokens: number; adjustments: { setting: string; used: string }[] };
}
interface Problem {
  code: string;
  detail: string;
  errors?: { field: string }[];
}

const FLASH = 'gemini-2.5-flash';
const PRO = 'gemini-2.5-pro';

describe('conversations users can steer', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      CHATROOM_AUTO_TITLES: 'true',
      GEMINI_MODELS: `${FLASH},${PRO}`,
      BASIC_MODELS: FLASH,
      BASIC_MAX_OUTPUT_TOKENS: '1024',
      PRO_MAX_OUTPUT_TOKENS: '8192',
    });
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);
  beforeEach(() => stack.gemini.reset());

  const newUser = async (): Promise<{ client: ApiClient; userId: string }> => {
    const user = await signIn(stack.api.url);
    return { client: new ApiClient(stack.api.url, user.accessToken), userId: user.user.id };
  };
  /** A titled room: no title request interleaves with the replies these tests count. */
  const createRoom = async (client: ApiClient, body: Record<string, unknown> = { title: 'a room' }) => {
    const response = await client.post<Room>('/chatroom', body);
    expect(response.status).toBe(201);
    return response.body;
  };
  /** Sends a prompt and waits for its reply. */
  const say = async (client: ApiClient, roomId: string, content: string): Promise<SentBody> => {
    const sent = await client.post<SentBody>(`/chatroom/${roomId}/message?wait=30`, { content });
    expect(sent.status).toBe(200);
    return sent.body;
  };
  const activePath = async (client: ApiClient, roomId: string): Promise<PathMessage[]> => {
    const page = await client.get<{ items: PathMessage[] }>(`/chatroom/${roomId}/message?limit=100`);
    expect(page.status).toBe(200);
    return page.body.items;
  };
  const texts = (messages: { content: string }[]): string[] => messages.map((message) => message.content);
  /** The turns Gemini was sent for a reply generation (title requests are not streamed). */
  const replyRequests = () =>
    stack.gemini.requests.filter((request) => request.method === 'streamGenerateContent');
  const lastContext = (): string[] =>
    replyRequests()
      .at(-1)!
      .body.contents.map((content) => content.parts.map((part) => part.text).join(''));

  /** Every message's parent is in its chatroom, walking up always ends, and the leaf is a message of the room. */
  async function expectConsistentTree(roomId: string): Promise<void> {
    const rows = await stack.database.query<{ id: string; parent_id: string | null; chatroom_id: string }>(
      'SELECT id, parent_id, chatroom_id FROM messages WHERE chatroom_id = $1',
      [roomId],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const row of rows) {
      const seen = new Set<string>();
      for (let at: typeof row | undefined = row; at?.parent_id; at = byId.get(at.parent_id)) {
        expect(byId.has(at.parent_id)).toBe(true);
        expect(seen.has(at.id)).toBe(false);
        seen.add(at.id);
      }
    }
    const foreignParents = await stack.database.query(
      `SELECT child.id FROM messages child JOIN messages parent ON parent.id = child.parent_id
       WHERE child.chatroom_id = $1 AND parent.chatroom_id <> child.chatroom_id`,
      [roomId],
    );
    expect(foreignParents).toEqual([]);
    const [room] = await stack.database.query<{ active_leaf_id: string }>(
      'SELECT active_leaf_id FROM chatrooms WHERE id = $1',
      [roomId],
    );
    expect(byId.has(room.active_leaf_id)).toBe(true);
  }

  describe('branches', () => {
    it("generates an edit's reply from the conversation before the prompt plus the new text, keeping the old branch", async () => {
      const { client } = await newUser();
      const room = await createRoom(client);
      await say(client, room.id, 'one');
      const two = await say(client, room.id, 'two');
      await say(client, room.id, 'three');

      const edit = await client.post<SentBody>(
        `/chatroom/${room.id}/message/${two.message.id}/edit?wait=30`,
        {
          content: 'TWO',
        },
      );
      expect(edit.status).toBe(200);
      expect(edit.body.reply).toMatchObject({ status: 'completed', content: 'You said: TWO' });
      expect(lastContext()).toEqual(['one', 'You said: one', 'TWO']);

      const path = await activePath(client, room.id);
      expect(texts(path)).toEqual(['You said: TWO', 'TWO', 'You said: one', 'one']);
      const editedTurn = path[1];
      expect(editedTurn.versions).toEqual({
        position: 2,
        count: 2,
        ids: [two.message.id, edit.body.message.id],
      });
      expect(path[0].versions).toEqual({ position: 1, count: 1, ids: [edit.body.reply.id] });
      // The old branch is unchanged and reachable.
      const old = await client.get<MessageBody>(`/chatroom/${room.id}/message/${two.reply.id}`);
      expect(old.body).toMatchObject({ content: 'You said: two', status: 'completed' });
      await expectConsistentTree(room.id);
    }, 60_000);

    it('regenerates a second reply to the same prompt from the same context, keeping the first', async () => {
      const { client } = await newUser();
      const room = await createRoom(client);
      await say(client, room.id, 'first');
      const second = await say(client, room.id, 'second');
      const contextOfFirstAnswer = lastContext();
      stack.gemini.script({ kind: 'answer', chunks: ['another ', 'answer'] });

      const again = await client.post<SentBody>(
        `/chatroom/${room.id}/message/${second.reply.id}/regenerate?wait=30`,
      );
      expect(again.status).toBe(200);
      expect(again.body.message.id).toBe(second.message.id);
      expect(again.body.reply).toMatchObject({
        status: 'completed',
        content: 'another answer',
        parentId: second.message.id,
        replyToId: second.message.id,
      });
      expect(lastContext()).toEqual(contextOfFirstAnswer);

      const path = await activePath(client, room.id);
      expect(texts(path)).toEqual(['another answer', 'second', 'You said: first', 'first']);
      expect(path[0].versions).toEqual({
        position: 2,
        count: 2,
        ids: [second.reply.id, again.body.reply.id],
      });
      expect(
        (await client.get<MessageBody>(`/chatroom/${room.id}/message/${second.reply.id}`)).body.content,
      ).toBe('You said: second');
    }, 60_000);

    it('switches branches: the listing and the next prompt follow the chosen branch down to its newest message', async () => {
      const { client } = await newUser();
      const room = await createRoom(client);
      await say(client, room.id, 'one');
      const two = await say(client, room.id, 'two');
      await say(client, room.id, 'three');
      await client.post(`/chatroom/${room.id}/message/${two.message.id}/edit?wait=30`, { content: 'TWO' });

      const switched = await client.post<RoomDetail>(`/chatroom/${room.id}/branch`, {
        messageId: two.message.id,
      });
      expect(switched.status).toBe(200);
      expect(texts(switched.body.recentMessages)).toEqual([
        'one',
        'You said: one',
        'two',
        'You said: two',
        'three',
        'You said: three',
      ]);
      expect(texts(await activePath(client, room.id))).toEqual(texts(switched.body.recentMessages).reverse());

      await say(client, room.id, 'four');
      expect(lastContext()).toEqual([
        'one',
        'You said: one',
        'two',
        'You said: two',
        'three',
        'You said: three',
        'four',
      ]);
      await expectConsistentTree(room.id);
    }, 60_000);

    it('pages through a long active branch with cursors, newest first', async () => {
      const { client } = await newUser();
      const room = await createRoom(client);
      for (const content of ['a', 'b', 'c']) await say(client, room.id, content);
      const page1 = await client.get<{ items: PathMessage[]; nextCursor: string }>(
        `/chatroom/${room.id}/message?limit=4`,
      );
      expect(texts(page1.body.items)).toEqual(['You said: c', 'c', 'You said: b', 'b']);
      const page2 = await client.get<{ items: PathMessage[]; nextCursor: string | null }>(
        `/chatroom/${room.id}/message?limit=4&cursor=${page1.body.nextCursor}`,
      );
      expect(texts(page2.body.items)).toEqual(['You said: a', 'a']);
      expect(page2.body.nextCursor).toBeNull();
    }, 60_000);

    it('makes two branches of two concurrent edits of one prompt, with a consistent tree', async () => {
      const { client } = await newUser();
      const room = await createRoom(client);
      await say(client, room.id, 'start');
      const target = await say(client, room.id, 'edit me');
      const edits = await Promise.all(
        ['version A', 'version B'].map((content) =>
          client.post<SentBody>(`/chatroom/${room.id}/message/${target.message.id}/edit?wait=30`, {
            content,
          }),
        ),
      );
      expect(edits.map((edit) => edit.status)).toEqual([200, 200]);
      for (const edit of edits) expect(edit.body.message.parentId).toBe(target.message.parentId);
      const path = await activePath(client, room.id);
      expect(path[1].versions.count).toBe(3);
      expect(path[1].versions.ids).toEqual(
        expect.arrayContaining([target.message.id, ...edits.map((edit) => edit.body.message.id)]),
      );
      for (const edit of edits) {
        const context = replyRequests().find((request) =>
          request.body.contents.at(-1)!.parts[0].text.includes(edit.body.message.content),
        )!;
        expect(context.body.contents.map((content) => content.parts[0].text)).toEqual([
          'start',
          'You said: start',
          edit.body.message.content,
        ]);
      }
      await expectConsistentTree(room.id);
    }, 60_000);

    it('keeps the tree consistent when branch switches race new prompts', async () => {
      const { client } = await newUser();
      const room = await createRoom(client);
      const first = await say(client, room.id, 'root');
      await say(client, room.id, 'next');
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          index % 2 === 0
            ? client.post(`/chatroom/${room.id}/branch`, { messageId: first.reply.id })
            : client.post(`/chatroom/${room.id}/message`, { content: `racing ${index}` }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual([200, 202, 200, 202, 200, 202]);
      await expectConsistentTree(room.id);
      const leaf = (await activePath(client, room.id))[0];
      expect(leaf.role).toBe('model');
    }, 60_000);

    it('charges an edit and a regeneration one prompt each, honours Idempotency-Key, and refuses the wrong kind of message', async () => {
      const { client } = await newUser();
      const room = await createRoom(client);
      const sent = await say(client, room.id, 'count me');
      const used = async (): Promise<number> =>
        (await client.get<{ usage: { used: number } }>('/user/me')).body.usage.used;
      expect(await used()).toBe(1);

      const key = { 'idempotency-key': 'edit-once' };
      const edit = await client.post<SentBody>(
        `/chatroom/${room.id}/message/${sent.message.id}/edit`,
        { content: 'counted again' },
        key,
      );
      expect(edit.status).toBe(202);
      const replay = await client.post<SentBody>(
        `/chatroom/${room.id}/message/${sent.message.id}/edit`,
        { content: 'counted again' },
        key,
      );
      expect([200, 202]).toContain(replay.status);
      expect(replay.body.reply.id).toBe(edit.body.reply.id);
      const reused = await client.post<Problem>(
        `/chatroom/${room.id}/message/${sent.message.id}/edit`,
        { content: 'something else' },
        key,
      );
      expect(reused.status).toBe(422);
      expect(await used()).toBe(2);

      const editedReply = await eventually(async () => {
        const { body } = await client.get<MessageBody>(`/chatroom/${room.id}/message/${edit.body.reply.id}`);
        return body.status === 'completed' ? body : undefined;
      });
      const regenerateKey = { 'idempotency-key': 'regenerate-once' };
      const regenerated = await client.post<SentBody>(
        `/chatroom/${room.id}/message/${editedReply.id}/regenerate`,
        undefined,
        regenerateKey,
      );
      expect(regenerated.status).toBe(202);
      const regeneratedAgain = await client.post<SentBody>(
        `/chatroom/${room.id}/message/${editedReply.id}/regenerate`,
        undefined,
        regenerateKey,
      );
      expect(regeneratedAgain.body.reply.id).toBe(regenerated.body.reply.id);
      expect(await used()).toBe(3);

      const notAPrompt = await client.post<Problem>(`/chatroom/${room.id}/message/${editedReply.id}/edit`, {
        content: 'x',
      });
      expect(notAPrompt.status).toBe(409);
      expect(notAPrompt.body.code).toBe('NOT_A_PROMPT');
      const notAReply = await client.post<Problem>(
        `/chatroom/${room.id}/message/${sent.message.id}/regenerate`,
      );
      expect(notAReply.status).toBe(409);
      expect(notAReply.body.code).toBe('NOT_A_REPLY');
      expect(await used()).toBe(3);
    }, 60_000);

    it('refuses to regenerate a reply that is still open, and charges nothing for it', async () => {
      const { client } = await newUser();
      const room = await createRoom(client);
      stack.gemini.script({ kind: 'hang' });
      const sent = await client.post<SentBody>(`/chatroom/${room.id}/message`, { content: 'slow' });
      const refused = await client.post<Problem>(
        `/chatroom/${room.id}/message/${sent.body.reply.id}/regenerate`,
      );
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('REPLY_NOT_FINAL');
      expect((await client.get<{ usage: { used: number } }>('/user/me')).body.usage.used).toBe(1);
      await client.post(`/chatroom/${room.id}/message/${sent.body.reply.id}/cancel`);
    }, 60_000);

    it("answers 404 for another user's messages and stores nothing", async () => {
      const owner = await newUser();
      const intruder = await newUser();
      const room = await createRoom(owner.client);
      const sent = await say(owner.client, room.id, 'mine');
      const intruderRoom = await createRoom(intruder.client);
      for (const path of [
        `/chatroom/${room.id}/message/${sent.message.id}/edit`,
        `/chatroom/${intruderRoom.id}/message/${sent.message.id}/edit`,
      ]) {
        expect((await intruder.client.post(path, { content: 'theirs' })).status).toBe(404);
      }
      expect(
        (await intruder.client.post(`/chatroom/${intruderRoom.id}/message/${sent.reply.id}/regenerate`))
          .status,
      ).toBe(404);
      expect(
        (await intruder.client.post(`/chatroom/${intruderRoom.id}/branch`, { messageId: sent.reply.id }))
          .status,
      ).toBe(404);
      expect((await intruder.client.post(`/chatroom/${room.id}/fork`, {})).status).toBe(404);
      expect(
        (await intruder.client.post(`/chatroom/${intruderRoom.id}/fork`, { messageId: sent.reply.id }))
          .status,
      ).toBe(404);
      const rows = await stack.database.query('SELECT id FROM messages WHERE chatroom_id = ANY($1::uuid[])', [
        [room.id, intruderRoom.id],
      ]);
      expect(rows).toHaveLength(2);
    }, 60_000);
  });

  describe('forks', () => {
    it('copies the path up to a reply into a new chatroom that then diverges independently, using no quota', async () => {
      const { client } = await newUser();
      const source = await createRoom(client, { title: 'Lisbon', settings: { temperature: 0.4 } });
      await say(client, source.id, 'one');
      const two = await say(client, source.id, 'two');
      await say(client, source.id, 'three');
      const usedBefore = (await client.get<{ usage: { used: number } }>('/user/me')).body.usage.used;

      const fork = await client.post<RoomDetail>(`/chatroom/${source.id}/fork`, { messageId: two.reply.id });
      expect(fork.status).toBe(201);
      expect(fork.headers.get('location')).toBe(`/chatroom/${fork.body.id}`);
      expect(fork.body).toMatchObject({
        title: 'Lisbon (fork)',
        titleSource: 'fork',
        settings: { temperature: 0.4 },
      });
      expect(texts(fork.body.recentMessages)).toEqual(['one', 'You said: one', 'two', 'You said: two']);
      expect(fork.body.recentMessages.map((message) => message.id)).not.toContain(two.reply.id);
      expect((await client.get<{ usage: { used: number } }>('/user/me')).body.usage.used).toBe(usedBefore);

      await say(client, fork.body.id, 'in the fork');
      expect(lastContext()).toEqual(['one', 'You said: one', 'two', 'You said: two', 'in the fork']);
      await say(client, source.id, 'in the source');
      expect(lastContext()).toContain('three');
      expect(lastContext()).not.toContain('in the fork');
      expect(texts(await activePath(client, fork.body.id))).toHaveLength(6);
      expect(texts(await activePath(client, source.id))).toHaveLength(8);
      await expectConsistentTree(fork.body.id);
    }, 60_000);

    it('forks the active branch by default, with a given title, and refuses a prompt or an open path', async () => {
      const { client } = await newUser();
      const source = await createRoom(client);
      const sent = await say(client, source.id, 'only');
      const fork = await client.post<RoomDetail>(`/chatroom/${source.id}/fork`, { title: 'My copy' });
      expect(fork.status).toBe(201);
      expect(fork.body).toMatchObject({ title: 'My copy', titleSource: 'user' });
      expect(texts(fork.body.recentMessages)).toEqual(['only', 'You said: only']);

      const fromPrompt = await client.post<Problem>(`/chatroom/${source.id}/fork`, {
        messageId: sent.message.id,
      });
      expect(fromPrompt.status).toBe(409);
      expect(fromPrompt.body.code).toBe('NOT_A_REPLY');

      stack.gemini.script({ kind: 'hang' });
      const open = await client.post<SentBody>(`/chatroom/${source.id}/message`, { content: 'pending' });
      const refused = await client.post<Problem>(`/chatroom/${source.id}/fork`, {});
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('REPLY_NOT_FINAL');
      const rooms = await client.get<{ items: Room[] }>('/chatroom');
      expect(rooms.body.items).toHaveLength(2);
      await client.post(`/chatroom/${source.id}/message/${open.body.reply.id}/cancel`);
    }, 60_000);
  });

  describe('titles', () => {
    it('titles a new chatroom after its first reply, tells its stream, and shows it in the cached list', async () => {
      const { client } = await newUser();
      const room = await createRoom(client, {});
      expect(room).toMatchObject({ title: 'New chat', titleSource: 'default' });
      expect((await client.get('/chatroom')).status).toBe(200);
      stack.gemini.scriptFor(
        'plan a trip',
        { kind: 'answer', chunks: ['Sure, ', 'here is a plan'], chunkDelayMs: 100 },
        { kind: 'answer', chunks: ['"Lisbon trip plan."'] },
      );
      const sent = await client.post<SentBody>(`/chatroom/${room.id}/message`, {
        content: 'plan a trip to Lisbon',
      });
      const stream = openStream(
        `${stack.api.url}/chatroom/${room.id}/message/${sent.body.reply.id}/stream`,
        client.accessToken!,
      );
      await stream.ended;
      const names = stream.events.map((event) => event.event);
      expect(names.slice(-2)).toEqual(['title', 'final']);
      expect(stream.events.at(-2)!.data).toEqual({ chatroomId: room.id, title: 'Lisbon trip plan' });

      const titleRequest = stack.gemini.requests.find((request) => request.method === 'generateContent')!;
      expect(titleRequest.body.generationConfig?.maxOutputTokens).toBe(32);
      expect(JSON.stringify(titleRequest.body.contents)).toContain('plan a trip to Lisbon');
      const list = await eventually(async () => {
        const answer = await client.get<{ items: Room[] }>('/chatroom');
        return answer.body.items[0].title === 'Lisbon trip plan' ? answer : undefined;
      }, 3000);
      expect(list.body.items[0].titleSource).toBe('generated');

      await say(client, room.id, 'and the next day?');
      expect(stack.gemini.requests.filter((request) => request.method === 'generateContent')).toHaveLength(1);
    }, 60_000);

    it('never retitles a chatroom the user named, before or after its first reply', async () => {
      const { client } = await newUser();
      const named = await createRoom(client, { title: 'Mine' });
      const renamed = await createRoom(client, {});
      await client.patch(`/chatroom/${renamed.id}`, { title: 'Renamed' });
      await say(client, named.id, 'hello');
      await say(client, renamed.id, 'hello');
      expect(stack.gemini.requests.filter((request) => request.method === 'generateContent')).toEqual([]);
      const titles = (await client.get<{ items: Room[] }>('/chatroom')).body.items.map((room) => room.title);
      expect(titles.sort()).toEqual(['Mine', 'Renamed']);
    }, 60_000);

    it('keeps the default title, and completes the reply, when the title request fails', async () => {
      const { client } = await newUser();
      const room = await createRoom(client, {});
      stack.gemini.scriptFor(
        'untitled',
        { kind: 'answer', chunks: ['fine'] },
        { kind: 'error', status: 500 },
      );
      const sent = await say(client, room.id, 'untitled please');
      expect(sent.reply).toMatchObject({ status: 'completed', content: 'fine' });
      const detail = await client.get<RoomDetail>(`/chatroom/${room.id}`);
      expect(detail.body).toMatchObject({ title: 'New chat', titleSource: 'default' });
    }, 60_000);
  });

  describe('settings', () => {
    it("sends a chatroom's system instruction, model, temperature and output cap to Gemini", async () => {
      const { client } = await newUser();
      const room = await createRoom(client, {
        title: 'tuned',
        settings: {
          systemInstruction: 'Answer like a pirate.',
          model: FLASH,
          temperature: 0.3,
          maxOutputTokens: 100,
        },
      });
      expect(room.settings).toEqual({
        systemInstruction: 'Answer like a pirate.',
        model: FLASH,
        temperature: 0.3,
        maxOutputTokens: 100,
      });
      const sent = await say(client, room.id, 'ahoy');
      const request = replyRequests().at(-1)!;
      expect(request.model).toBe(FLASH);
      expect(request.body.systemInstruction).toMatchObject({ parts: [{ text: 'Answer like a pirate.' }] });
      expect(request.body.generationConfig).toMatchObject({ temperature: 0.3, maxOutputTokens: 100 });
      expect(sent.reply.model).toBe(FLASH);

      const changed = await client.patch<Room>(`/chatroom/${room.id}/settings`, {
        systemInstruction: null,
        temperature: 1.5,
      });
      expect(changed.status).toBe(200);
      expect(changed.body.settings).toEqual({
        systemInstruction: null,
        model: FLASH,
        temperature: 1.5,
        maxOutputTokens: 100,
      });
      await say(client, room.id, 'again');
      const next = replyRequests().at(-1)!;
      expect(next.body.systemInstruction).toBeUndefined();
      expect(next.body.generationConfig).toMatchObject({ temperature: 1.5, maxOutputTokens: 100 });
    }, 60_000);

    it('refuses what the tier does not allow: 403 for its models, 400 for unknown models and values out of range', async () => {
      const { client } = await newUser();
      const proModel = await client.post<Problem>('/chatroom', { settings: { model: PRO } });
      expect(proModel.status).toBe(403);
      expect(proModel.body.code).toBe('MODEL_NOT_ALLOWED');
      const unknown = await client.post<Problem>('/chatroom', { settings: { model: 'gemini-9-ultra' } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors?.map((error) => error.field)).toEqual(['settings.model']);
      const tooLong = await client.post<Problem>('/chatroom', { settings: { maxOutputTokens: 4096 } });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.errors?.map((error) => error.field)).toEqual(['settings.maxOutputTokens']);
      for (const settings of [
        { temperature: 2.5 },
        { temperature: -1 },
        { maxOutputTokens: 0 },
        { systemInstruction: '' },
      ]) {
        expect((await client.post('/chatroom', { settings })).status).toBe(400);
      }
      const room = await createRoom(client);
      const patched = await client.patch<Problem>(`/chatroom/${room.id}/settings`, { model: PRO });
      expect(patched.status).toBe(403);
      expect((await client.get<{ items: Room[] }>('/chatroom')).body.items).toHaveLength(1);

      const models = await client.get<{
        tier: string;
        defaultModel: string;
        models: { id: string; available: boolean }[];
        limits: { maxOutputTokens: number };
      }>('/models');
      expect(models.body).toMatchObject({
        tier: 'basic',
        defaultModel: FLASH,
        models: [
          { id: FLASH, available: true },
          { id: PRO, available: false },
        ],
        limits: { maxOutputTokens: 1024 },
      });
    }, 60_000);

    it("keeps a Pro chatroom working after a downgrade, on the tier's default model, and says so", async () => {
      const { client, userId } = await newUser();
      await stack.database.query(`UPDATE users SET tier = 'pro' WHERE id = $1`, [userId]);
      const room = await createRoom(client, {
        title: 'deep',
        settings: { model: PRO, maxOutputTokens: 4096 },
      });
      await say(client, room.id, 'think hard');
      expect(replyRequests().at(-1)!).toMatchObject({
        model: PRO,
        body: { generationConfig: { maxOutputTokens: 4096 } },
      });

      await stack.database.query(`UPDATE users SET tier = 'basic' WHERE id = $1`, [userId]);
      const sent = await say(client, room.id, 'think again');
      expect(replyRequests().at(-1)!).toMatchObject({
        model: FLASH,
        body: { generationConfig: { maxOutputTokens: 1024 } },
      });
      expect(sent.reply.model).toBe(FLASH);
      const detail = await client.get<RoomDetail>(`/chatroom/${room.id}`);
      expect(detail.body.settings).toMatchObject({ model: PRO, maxOutputTokens: 4096 });
      expect(detail.body.generation).toMatchObject({ model: FLASH, maxOutputTokens: 1024 });
      expect(
        detail.body.generation.adjustments.map((adjustment) => [adjustment.setting, adjustment.used]),
      ).toEqual([
        ['model', FLASH],
        ['maxOutputTokens', '1024'],
      ]);
    }, 60_000);
  });
});
