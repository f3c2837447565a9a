import fc from 'fast-check';
import { signIn } from '../support/auth';
import { ApiClient } from '../support/http';
import { Stack, startStack } from '../support/stack';
import { SentBody } from '../support/types';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);

interface Target {
  chatroomId: string;
  messageId: string;
  replyId: string;
}

/**
 * Operations on a chatroom and its messages, each raced against the chatroom's deletion. `POST …/message` racing the
 * delete is issue 11's (the message storage rewrite) and is tested there.
 */
const OPERATIONS: {
  name: string;
  send: (client: ApiClient, target: Target) => Promise<{ status: number }>;
}[] = [
  { name: 'GET /chatroom/{id}', send: (client, { chatroomId }) => client.get(`/chatroom/${chatroomId}`) },
  {
    name: 'PATCH /chatroom/{id}',
    send: (client, { chatroomId }) => client.patch(`/chatroom/${chatroomId}`, { title: 'renamed ❤️' }),
  },
  {
    name: 'DELETE /chatroom/{id}',
    send: (client, { chatroomId }) => client.delete(`/chatroom/${chatroomId}`),
  },
  {
    name: 'GET /chatroom/{id}/message',
    send: (client, { chatroomId }) => client.get(`/chatroom/${chatroomId}/message`),
  },
  {
    name: 'GET /chatroom/{id}/message/{messageId}',
    send: (client, { chatroomId, replyId }) => client.get(`/chatroom/${chatroomId}/message/${replyId}`),
  },
  {
    name: 'POST /chatroom/{id}/message/{messageId}/cancel',
    send: (client, { chatroomId, replyId }) =>
      client.post(`/chatroom/${chatroomId}/message/${replyId}/cancel`),
  },
  {
    name: 'GET /chatroom (no cache)',
    send: (client) => client.get('/chatroom', { 'cache-control': 'no-cache' }),
  },
];

describe('operations raced against a delete of their chatroom', () => {
  let stack: Stack;
  let client: ApiClient;

  beforeAll(async () => {
    stack = await startStack();
    client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
  }, 60_000);
  afterAll(async () => stack?.stop(), 30_000);

  async function provision(): Promise<Target> {
    const room = await client.post<{ id: string }>('/chatroom', { title: 'race target' });
    const sent = await client.post<SentBody>(`/chatroom/${room.body.id}/message`, { content: 'hello' });
    return { chatroomId: room.body.id, messageId: sent.body.message.id, replyId: sent.body.reply.id };
  }

  it('never answers 5xx, whichever wins', async () => {
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...OPERATIONS),
        fc.integer({ min: 0, max: 5 }),
        async (operation, deleteDelayMs) => {
          const target = await provision();
          const [answer, deletion] = await Promise.all([
            operation.send(client, target),
            new Promise((resolve) => setTimeout(resolve, deleteDelayMs)).then(() =>
              client.delete(`/chatroom/${target.chatroomId}`),
            ),
          ]);
          if (answer.status >= 500) failures.push(`${operation.name} answered ${answer.status}`);
          if (deletion.status >= 500)
            failures.push(`DELETE raced by ${operation.name} answered ${deletion.status}`);
        },
      ),
      { seed: SEED, numRuns: 70 },
    );
    expect(failures).toEqual([]);
  }, 120_000);
});
