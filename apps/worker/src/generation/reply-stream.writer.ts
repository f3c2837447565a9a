import {
  REPLY_STREAM_MAX_LENGTH,
  REPLY_STREAM_TTL_SECONDS,
  RedisKeys,
  ReplyStreamEntryType,
} from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { WORKER_REDIS } from '../redis.providers';

/** Appends to a reply's Redis stream (format in libs/queue/src/reply-stream.ts), read by the api's SSE endpoint. */
@Injectable()
export class ReplyStreamWriter {
  constructor(
    @Inject(WORKER_REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Deltas are plain appends; the expiry is (re)set with the `reset` that starts every attempt and with the `final`
   * that ends the reply, so the stream lives an hour past either without an extra command per delta.
   */
  async append(replyId: string, type: ReplyStreamEntryType, text?: string): Promise<void> {
    const key = this.keys.replyStream(replyId);
    const fields = text === undefined ? ['type', type] : ['type', type, 'text', text];
    if (type === 'delta') {
      await this.redis.xadd(key, 'MAXLEN', '~', REPLY_STREAM_MAX_LENGTH, '*', ...fields);
      return;
    }
    await this.redis
      .pipeline()
      .xadd(key, 'MAXLEN', '~', REPLY_STREAM_MAX_LENGTH, '*', ...fields)
      .expire(key, REPLY_STREAM_TTL_SECONDS)
      .exec();
  }
}
