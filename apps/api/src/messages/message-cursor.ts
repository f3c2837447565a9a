import { HttpStatus } from '@nestjs/common';
import { ErrorCode, ProblemException } from '../common/problem';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A page cursor of a conversation path: the message the next page starts at (walking towards the start). */
export function encodeMessageCursor(messageId: string): string {
  return Buffer.from(JSON.stringify({ m: messageId })).toString('base64url');
}

export function decodeMessageCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { m?: unknown };
    if (typeof parsed.m === 'string' && UUID.test(parsed.m)) return parsed.m;
  } catch {
    // any undecodable cursor is the client's mistake: the error below
  }
  const message = 'cursor is not a valid page cursor';
  throw new ProblemException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, message, {
    errors: [{ field: 'cursor', message }],
  });
}
