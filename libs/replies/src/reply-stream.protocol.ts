import { Message } from '@app/database';

/**
 * The format of a reply's Redis stream. Only the reply channel writes it and only the api's event hub reads it.
 *
 * Entries, in order: `reset` when an attempt starts (drop any text received so far), `delta` with text to append,
 * then exactly one terminal entry: `final` with the stored reply (the same row a later GET returns) and, when
 * completing it gave the chatroom a generated title, that title; or `error` with a code when the reply ended
 * without a stored row (its chatroom was deleted). Entry ids are the SSE event ids.
 */
export type ReplyStreamEvent =
  | { id: string; type: 'reset' }
  | { id: string; type: 'delta'; text: string }
  | { id: string; type: 'final'; message: Message; chatroomTitle?: string }
  | { id: string; type: 'error'; code: string; message: string };

export type TerminalReplyEvent = Extract<ReplyStreamEvent, { type: 'final' | 'error' }>;

/** Every key of a reply's channel expires this long after its last write. */
export const REPLY_STREAM_TTL_SECONDS = 3600;
/** Caps a runaway reply's stream; far above any real reply's number of chunks. */
export const REPLY_STREAM_MAX_LENGTH = 10_000;

/** A Redis stream entry id, as clients send back in Last-Event-ID. */
export const STREAM_ENTRY_ID = /^\d{1,20}-\d{1,20}$/;

export const isTerminal = (event: ReplyStreamEvent): event is TerminalReplyEvent =>
  event.type === 'final' || event.type === 'error';

export function encodeStoredReply(message: Message): string {
  return JSON.stringify(message);
}

const DATE_FIELDS = ['createdAt', 'updatedAt', 'completedAt'] as const;

export function decodeStoredReply(json: string): Message {
  const message = JSON.parse(json) as Message;
  for (const field of DATE_FIELDS) {
    const value = message[field] as unknown;
    if (typeof value === 'string') (message as unknown as Record<string, Date>)[field] = new Date(value);
  }
  return message;
}

/** Decodes one XRANGE entry; unknown entry types (from a newer writer) are skipped. */
export function decodeStreamEntry(id: string, fields: string[]): ReplyStreamEvent | undefined {
  const entry: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) entry[fields[index]] = fields[index + 1];
  switch (entry.type) {
    case 'reset':
      return { id, type: 'reset' };
    case 'delta':
      return { id, type: 'delta', text: entry.text ?? '' };
    case 'final':
      return entry.message
        ? {
            id,
            type: 'final',
            message: decodeStoredReply(entry.message),
            ...(entry.title ? { chatroomTitle: entry.title } : {}),
          }
        : undefined;
    case 'error':
      return { id, type: 'error', code: entry.code ?? 'UNKNOWN', message: entry.message ?? '' };
    default:
      return undefined;
  }
}
