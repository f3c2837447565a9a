import { Message, MessageRole, MessageStatus } from '@app/database';
import { toContents } from './reply-context';
import { decodeStreamEntry, encodeStoredReply } from './reply-stream.protocol';

describe('reply stream protocol', () => {
  it('round-trips a stored reply through the final entry, dates included', () => {
    const message = Object.assign(new Message(), {
      id: 'r1',
      role: MessageRole.Model,
      status: MessageStatus.Completed,
      content: 'hi',
      createdAt: new Date('2026-01-01T00:00:00Z'),
      updatedAt: new Date('2026-01-01T00:00:01Z'),
      completedAt: null,
    });
    const event = decodeStreamEntry('1-0', ['type', 'final', 'message', encodeStoredReply(message)]);
    expect(event).toEqual({ id: '1-0', type: 'final', message: { ...message } });
    expect(event?.type === 'final' && event.message.createdAt).toBeInstanceOf(Date);
  });

  it('carries the title a completion gave the chatroom in its final entry', () => {
    const message = Object.assign(new Message(), { id: 'r1', content: 'hi', createdAt: new Date(0) });
    expect(
      decodeStreamEntry('1-0', ['type', 'final', 'message', encodeStoredReply(message), 'title', 'Lisbon']),
    ).toMatchObject({ type: 'final', chatroomTitle: 'Lisbon' });
    expect(
      decodeStreamEntry('1-0', ['type', 'final', 'message', encodeStoredReply(message)]),
    ).not.toHaveProperty('chatroomTitle');
  });

  it('decodes reset, delta and error entries and skips unknown ones', () => {
    expect(decodeStreamEntry('1-0', ['type', 'reset'])).toEqual({ id: '1-0', type: 'reset' });
    expect(decodeStreamEntry('1-1', ['type', 'delta', 'text', 'ab'])).toEqual({
      id: '1-1',
      type: 'delta',
      text: 'ab',
    });
    expect(decodeStreamEntry('1-2', ['type', 'error', 'code', 'C', 'message', 'm'])).toEqual({
      id: '1-2',
      type: 'error',
      code: 'C',
      message: 'm',
    });
    expect(decodeStreamEntry('1-3', ['type', 'future'])).toBeUndefined();
  });

  it('builds alternating contents that end with the prompt', () => {
    const contents = toContents({ exchanges: [{ prompt: 'a', reply: 'b' }], prompt: 'c' });
    expect(contents.map((content) => [content.role, content.parts?.[0].text])).toEqual([
      ['user', 'a'],
      ['model', 'b'],
      ['user', 'c'],
    ]);
  });
});
