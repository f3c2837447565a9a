import { Message, MessageStatus } from '@app/database';
import { Logger } from '@nestjs/common';
import { RedisKeys } from '@app/queue';
import type Redis from 'ioredis';
import { ReplyChannel } from './reply-channel';
import { ReplyLifecycle } from './reply-lifecycle';
import { ReplyRepository } from './reply-repository';
import { OPEN_REPLY_STATUSES, ReplyErrorCode } from './reply-status';

const row = (status: MessageStatus, content = ''): Message =>
  Object.assign(new Message(), { id: 'r1', userId: 'u1', status, content });
const stored = (status: MessageStatus, content = '', generatedTitle?: string) => ({
  reply: row(status, content),
  ...(generatedTitle ? { generatedTitle } : {}),
});

function setUp() {
  const replies = {
    claim: jest.fn(),
    context: jest.fn(),
    settle: jest.fn<
      Promise<{ reply: Message; generatedTitle?: string } | undefined>,
      [string, readonly MessageStatus[], Record<string, unknown>]
    >(),
    insertTurn: jest.fn(),
  };
  const channel = {
    reset: jest.fn().mockResolvedValue(true),
    delta: jest.fn().mockResolvedValue(true),
    final: jest.fn().mockResolvedValue(true),
    error: jest.fn().mockResolvedValue(true),
    seal: jest.fn(),
  };
  const redis = { publish: jest.fn().mockResolvedValue(1), del: jest.fn().mockResolvedValue(1) };
  const lifecycle = new ReplyLifecycle(
    replies as unknown as ReplyRepository,
    channel as unknown as ReplyChannel,
    redis as unknown as Redis,
    new RedisKeys('p'),
  );
  return { lifecycle, replies, channel, redis };
}

describe('ReplyLifecycle', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  it('claims: marks generating, opens the stream with reset, then reads the context', async () => {
    const { lifecycle, replies, channel } = setUp();
    const claimed = { chatroomId: 'c', attempts: 1, promptParentId: 'p0', prompt: 'hi' };
    replies.claim.mockResolvedValue(claimed);
    replies.context.mockResolvedValue({ exchanges: [], prompt: 'hi' });
    await expect(lifecycle.claim('r1', 100)).resolves.toMatchObject({
      prompt: 'hi',
      context: { prompt: 'hi' },
    });
    expect(channel.reset).toHaveBeenCalledWith('r1');
    expect(replies.context).toHaveBeenCalledWith(claimed, 100);
  });

  it('does not generate a reply that is not open, or whose stream is sealed', async () => {
    const { lifecycle, replies, channel } = setUp();
    replies.claim.mockResolvedValueOnce(undefined);
    await expect(lifecycle.claim('r1', 100)).resolves.toBeUndefined();
    replies.claim.mockResolvedValueOnce({ chatroomId: 'c', attempts: 1, promptParentId: null, prompt: 'x' });
    channel.reset.mockResolvedValueOnce(false);
    await expect(lifecycle.claim('r1', 100)).resolves.toBeUndefined();
  });

  it('writes the final entry only when its own transition won', async () => {
    const { lifecycle, replies, channel } = setUp();
    const outcome = {
      model: 'gemini-2.5-flash',
      finishReason: 'STOP',
      truncated: false,
      promptTokens: 1,
      outputTokens: 2,
      thinkingTokens: null,
      totalTokens: 3,
    };
    replies.settle.mockResolvedValueOnce(stored(MessageStatus.Completed, 'done'));
    await lifecycle.complete('r1', 'done', outcome);
    expect(replies.settle).toHaveBeenCalledWith(
      'r1',
      [MessageStatus.Generating],
      expect.objectContaining({ content: 'done' }),
    );
    expect(channel.final).toHaveBeenCalledTimes(1);

    replies.settle.mockResolvedValueOnce(undefined);
    await expect(lifecycle.complete('r1', 'late', outcome)).resolves.toBeUndefined();
    expect(channel.final).toHaveBeenCalledTimes(1);
  });

  it('cancels with the text the sealed stream held, then tells the workers', async () => {
    const { lifecycle, replies, channel, redis } = setUp();
    channel.seal.mockResolvedValue({ ended: false, text: 'partial ' });
    replies.settle.mockResolvedValue(stored(MessageStatus.Cancelled, 'partial '));
    await expect(lifecycle.cancel('r1')).resolves.toMatchObject({ content: 'partial ' });
    expect(channel.seal.mock.invocationCallOrder[0]).toBeLessThan(replies.settle.mock.invocationCallOrder[0]);
    expect(replies.settle).toHaveBeenCalledWith('r1', OPEN_REPLY_STATUSES, {
      status: MessageStatus.Cancelled,
      content: 'partial ',
    });
    expect(channel.final).toHaveBeenCalledWith(expect.objectContaining({ content: 'partial ' }), undefined);
    expect(redis.publish).toHaveBeenCalledWith('p:reply-cancel', 'r1');
  });

  it('does not announce a cancel that lost to completion', async () => {
    const { lifecycle, replies, channel, redis } = setUp();
    channel.seal.mockResolvedValue({ ended: true, text: '' });
    replies.settle.mockResolvedValue(undefined);
    await expect(lifecycle.cancel('r1')).resolves.toBeUndefined();
    expect(channel.final).not.toHaveBeenCalled();
    expect(redis.publish).not.toHaveBeenCalled();
  });

  it('fails open replies with a bounded code and message, keeping partial text', async () => {
    const { lifecycle, replies } = setUp();
    replies.settle.mockResolvedValue(stored(MessageStatus.Failed));
    await lifecycle.fail('r1', { code: 'X'.repeat(60), message: 'm'.repeat(600) }, { text: 'so far' });
    const settlement = replies.settle.mock.calls[0][2] as unknown as {
      errorCode: string;
      errorMessage: string;
      content: string;
    };
    expect(settlement.errorCode).toHaveLength(40);
    expect(settlement.errorMessage).toHaveLength(500);
    expect(settlement.content).toBe('so far');
  });

  it("writes a generated title into the final entry and forgets the owner's cached chatroom list", async () => {
    const { lifecycle, replies, channel, redis } = setUp();
    replies.settle.mockResolvedValueOnce(stored(MessageStatus.Completed, 'done', 'Lisbon in three days'));
    await lifecycle.complete(
      'r1',
      'done',
      {
        model: 'm',
        finishReason: 'STOP',
        truncated: false,
        promptTokens: 1,
        outputTokens: 1,
        thinkingTokens: null,
        totalTokens: 2,
      },
      { title: 'Lisbon in three days', tokens: 12 },
    );
    expect(replies.settle).toHaveBeenCalledWith(
      'r1',
      [MessageStatus.Generating],
      expect.objectContaining({ title: 'Lisbon in three days', systemTokens: 12 }),
    );
    expect(channel.final).toHaveBeenCalledWith(expect.objectContaining({ id: 'r1' }), 'Lisbon in three days');
    expect(redis.del).toHaveBeenCalledWith('p:chatrooms:u1');
  });

  it('ends abandoned replies with CHATROOM_DELETED and stops their generation', async () => {
    const { lifecycle, channel, redis } = setUp();
    await lifecycle.abandon(['a', 'b']);
    expect(channel.error).toHaveBeenCalledWith('a', ReplyErrorCode.ChatroomDeleted, expect.any(String));
    expect(channel.error).toHaveBeenCalledWith('b', ReplyErrorCode.ChatroomDeleted, expect.any(String));
    expect(redis.publish).toHaveBeenCalledTimes(2);
  });

  it('keeps a settled reply settled when its final entry cannot be written', async () => {
    const { lifecycle, replies, channel } = setUp();
    replies.settle.mockResolvedValue(stored(MessageStatus.Failed));
    channel.final.mockRejectedValue(new Error('Redis down'));
    await expect(lifecycle.fail('r1', { code: 'C', message: 'm' })).resolves.toMatchObject({
      status: 'failed',
    });
  });
});
