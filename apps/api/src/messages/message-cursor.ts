import { HttpStatus } from '@nestjs/common';
import { ErrorCode, ProblemException } from '../common/problem';

/** A page cursor of a conversation: the position (`seq`) of the last message of the previous page. */
export function encodeSeqCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ s: seq })).toString('base64url');
}

export function decodeSeqCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s?: unknown };
    if (Number.isSafeInteger(parsed.s) && (parsed.s as number) > 0 && (parsed.s as number) <= 2 ** 31) {
      return parsed.s as number;
    }
  } catch {
    // any undecodable cursor is the client's mistake: the error below
  }
  const message = 'cursor is not a valid page cursor';
  throw new ProblemException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, message, {
    errors: [{ field: 'cursor', message }],
  });
}
