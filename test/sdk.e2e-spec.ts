import {
  createChatroom,
  getCurrentUser,
  getMessage,
  getSubscriptionStatus,
  listChatrooms,
  sendMessage,
  sendOtp,
  streamReplyEvents,
  verifyOtp,
} from '@app/sdk';
import { uniqueMobile } from './support/auth';
import { sdkClient } from './support/sdk';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';

describe('the generated SDK against the running stack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ BASIC_DAILY_LIMIT: '5' });
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);

  it('logs in, chats, streams and reads the status through the SDK', async () => {
    const anonymous = sdkClient(stack.api.url);
    const mobile = uniqueMobile();
    const { data: issued } = await sendOtp({ client: anonymous, body: { mobile }, throwOnError: true });
    const { data: tokens } = await verifyOtp({
      client: anonymous,
      body: { mobile, otp: issued.otp! },
      throwOnError: true,
    });
    const client = sdkClient(stack.api.url, tokens.accessToken);

    const { data: me } = await getCurrentUser({ client, throwOnError: true });
    expect(me).toMatchObject({ mobile, tier: 'basic', usage: { used: 0, limit: 5 } });

    const { data: room } = await createChatroom({
      client,
      body: { title: 'via the SDK' },
      throwOnError: true,
    });
    const { data: list, response } = await listChatrooms({ client, throwOnError: true });
    expect(list.items.map((item) => item.id)).toContain(room.id);
    expect(response.headers.get('x-cache')).toBe('MISS');

    stack.gemini.script({ kind: 'answer', chunks: ['streamed ', 'through ', 'the SDK'], chunkDelayMs: 50 });
    const { data: sent, response: accepted } = await sendMessage({
      client,
      path: { id: room.id },
      body: { content: 'hello SDK' },
      throwOnError: true,
    });
    expect(accepted.status).toBe(202);
    let text = '';
    let final: Record<string, unknown> | undefined;
    for await (const event of streamReplyEvents({
      baseUrl: stack.api.url,
      accessToken: tokens.accessToken,
      chatroomId: room.id,
      messageId: sent.reply.id,
    })) {
      if (event.type === 'delta') text += event.text;
      if (event.type === 'reset') text = '';
      if (event.type === 'final') final = event.message;
    }
    expect(text).toBe('streamed through the SDK');
    expect(final).toMatchObject({ status: 'completed', content: 'streamed through the SDK' });

    const { data: reply } = await getMessage({
      client,
      path: { id: room.id, messageId: sent.reply.id },
      throwOnError: true,
    });
    expect(reply.status).toBe('completed');

    const { data: waited, response: waitedResponse } = await sendMessage({
      client,
      path: { id: room.id },
      query: { wait: 10 },
      body: { content: 'and wait for it' },
      throwOnError: true,
    });
    expect(waitedResponse.status).toBe(200);
    expect(waited.reply.content).toBe('You said: and wait for it');

    const { data: status } = await getSubscriptionStatus({ client, throwOnError: true });
    expect(status).toMatchObject({ tier: 'basic', status: null, usage: { used: 2, limit: 5, remaining: 3 } });
  });

  it('surfaces problem details as typed errors', async () => {
    const client = sdkClient(stack.api.url, 'not-a-token');
    const { error, response } = await getCurrentUser({ client });
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });
});
