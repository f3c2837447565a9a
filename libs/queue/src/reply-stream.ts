/**
 * The Redis stream of one reply (`RedisKeys.replyStream(replyId)`), written by the worker and read by the api's
 * SSE endpoint. Each entry has a `type` field:
 * - `reset`: an attempt started; drop any text received so far (a retry starts the answer over);
 * - `delta`: `text` to append;
 * - `final`: the reply reached a final state; read it from PostgreSQL.
 * Entry ids are the SSE event ids. The stream expires an hour after its last write.
 */
export type ReplyStreamEntryType = 'reset' | 'delta' | 'final';

export const REPLY_STREAM_TTL_SECONDS = 3600;
export const REPLY_STREAM_MAX_LENGTH = 10_000;
