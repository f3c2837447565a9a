import { MessageStatus } from '@app/database';

/** Replies that may still change: waiting for a worker, or being generated. */
export const OPEN_REPLY_STATUSES: readonly MessageStatus[] = [MessageStatus.Queued, MessageStatus.Generating];

/** Replies that will never change again. */
export const FINAL_REPLY_STATUSES: readonly MessageStatus[] = [
  MessageStatus.Completed,
  MessageStatus.Cancelled,
  MessageStatus.Failed,
];

export const isFinalStatus = (status: MessageStatus): boolean => FINAL_REPLY_STATUSES.includes(status);

/**
 * Why a reply failed, or why its stream ended without one, when the cause is the engine's and not Gemini's
 * (Gemini's own codes come from `GeminiError`).
 */
export enum ReplyErrorCode {
  /** The worker generating it stopped and the reply could not be resumed. */
  Stalled = 'STALLED',
  /** An unexpected error in the worker. */
  InternalError = 'INTERNAL_ERROR',
  /** Stream only: the chatroom was deleted while the reply was open; the reply no longer exists. */
  ChatroomDeleted = 'CHATROOM_DELETED',
  /** Stream only: the session that opened the stream was logged out or revoked. */
  SessionEnded = 'SESSION_ENDED',
  /** Stream only: the stream could not be read (Redis unreachable); reconnect to resume. */
  StreamUnavailable = 'STREAM_UNAVAILABLE',
}
