import { Message } from '@app/database';
import { REDIS, RedisKeys, RedisScript } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import {
  decodeStreamEntry,
  encodeStoredReply,
  REPLY_STREAM_MAX_LENGTH,
  REPLY_STREAM_TTL_SECONDS,
  ReplyStreamEvent,
  TerminalReplyEvent,
} from './reply-stream.protocol';

/** KEYS: stream, seal. ARGV: events channel, ttl, max length, then the entry's field/value pairs. */
const APPEND = new RedisScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[1], id)
return 1`);

/** KEYS: stream, seal. ARGV: events channel, ttl, then the terminal entry's field/value pairs. */
const END = new RedisScript(`
if redis.call('GET', KEYS[2]) == 'ended' then return 0 end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
redis.call('SET', KEYS[2], 'ended', 'EX', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[1], id)
return 1`);

/** KEYS: stream, seal. ARGV: ttl. Returns {1, text since the last reset}, or {0, ''} when already ended. */
const SEAL = new RedisScript(`
if redis.call('GET', KEYS[2]) == 'ended' then return {0, ''} end
redis.call('SET', KEYS[2], 'closing', 'EX', ARGV[1])
local parts = {}
for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local fields, kind, text = entry[2], nil, ''
  for i = 1, #fields, 2 do
    if fields[i] == 'type' then kind = fields[i + 1] elseif fields[i] == 'text' then text = fields[i + 1] end
  end
  if kind == 'reset' then parts = {} elseif kind == 'delta' then parts[#parts + 1] = text end
end
return {1, table.concat(parts)}`);

const READ_BATCH = 500;

/**
 * A reply's stream in Redis: the only code that writes or reads its format. Every write is one script that also
 * refreshes the expiry of the keys it touches and announces the new entry on the reply's events channel. After
 * `seal` the stream takes no more deltas; after `end` it takes nothing, so exactly one terminal entry is written.
 */
@Injectable()
export class ReplyChannel {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Returns false when the stream is sealed (the reply was cancelled or has ended): stop generating. */
  async reset(replyId: string): Promise<boolean> {
    return this.append(replyId, ['type', 'reset']);
  }

  async delta(replyId: string, text: string): Promise<boolean> {
    return this.append(replyId, ['type', 'delta', 'text', text]);
  }

  /**
   * Writes the terminal `final` entry with the stored reply, and the chatroom's new title when completing the reply
   * gave it one; false when a terminal entry already exists.
   */
  async final(reply: Message, chatroomTitle?: string): Promise<boolean> {
    return this.end(reply.id, [
      'type',
      'final',
      'message',
      encodeStoredReply(reply),
      ...(chatroomTitle ? ['title', chatroomTitle] : []),
    ]);
  }

  /** Writes the terminal `error` entry for a reply that ended without a stored row. */
  async error(replyId: string, code: string, message: string): Promise<boolean> {
    return this.end(replyId, ['type', 'error', 'code', code, 'message', message]);
  }

  /**
   * Stops the stream taking deltas and returns the text streamed since the attempt began, which is what a
   * cancelled reply keeps. `ended` is true when the stream already has its terminal entry.
   */
  async seal(replyId: string): Promise<{ ended: boolean; text: string }> {
    const [open, text] = await SEAL.run<[number, string]>(
      this.redis,
      [this.keys.replyStream(replyId), this.keys.replySeal(replyId)],
      [REPLY_STREAM_TTL_SECONDS],
    );
    return { ended: open === 0, text };
  }

  /** Entries after `afterId` ('0' for all), oldest first, at most one batch. */
  async read(replyId: string, afterId: string): Promise<ReplyStreamEvent[]> {
    const start = afterId === '0' ? '-' : `(${afterId}`;
    const entries = await this.redis.xrange(this.keys.replyStream(replyId), start, '+', 'COUNT', READ_BATCH);
    return entries.flatMap(([id, fields]) => decodeStreamEntry(id, fields) ?? []);
  }

  /** The terminal entry, if the stream has one. */
  async terminal(replyId: string): Promise<TerminalReplyEvent | undefined> {
    const [last] = await this.redis.xrevrange(this.keys.replyStream(replyId), '+', '-', 'COUNT', 1);
    const event = last && decodeStreamEntry(last[0], last[1]);
    return event && (event.type === 'final' || event.type === 'error') ? event : undefined;
  }

  private async append(replyId: string, fields: string[]): Promise<boolean> {
    const written = await APPEND.run<number>(
      this.redis,
      [this.keys.replyStream(replyId), this.keys.replySeal(replyId)],
      [this.keys.replyEvents(replyId), REPLY_STREAM_TTL_SECONDS, REPLY_STREAM_MAX_LENGTH, ...fields],
    );
    return written === 1;
  }

  private async end(replyId: string, fields: string[]): Promise<boolean> {
    const written = await END.run<number>(
      this.redis,
      [this.keys.replyStream(replyId), this.keys.replySeal(replyId)],
      [this.keys.replyEvents(replyId), REPLY_STREAM_TTL_SECONDS, ...fields],
    );
    return written === 1;
  }
}
