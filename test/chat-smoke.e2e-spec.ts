import { signIn } from './support/auth';
import { ApiClient, eventually } from './support/http';
import { Stack, startStack } from './support/stack';

describe('smoke', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack.stop());

  it('answers a prompt', async () => {
    const { accessToken } = await signIn(stack.api.url);
    const client = new ApiClient(stack.api.url, accessToken);
    const room = await client.post<{ id: string }>('/chatroom', { title: 'x' });
    const sent = await client.post<{ reply: { id: string } }>(`/chatroom/${room.body.id}/message`, {
      content: 'hello there',
    });
    expect(sent.status).toBe(202);
    const reply = await eventually(async () => {
      const r = await client.get<{ status: string; content: string }>(
        `/chatroom/${room.body.id}/message/${sent.body.reply.id}`,
      );
      return r.body.status === 'completed' ? r.body : undefined;
    });
    expect(reply.content).toBe('You said: hello there');
  });
});
