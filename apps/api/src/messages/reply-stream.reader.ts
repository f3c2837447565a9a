import { Message, FINAL_MESSAGE_STATUSES } from '@app/database';
import { RedisKeys } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { Repository } from 'typeorm';
import { REDIS } from '../redis/redis.module';

/** How long one blocking read waits before the reply's row is checked again. */
const BLOCK_MS = 2000;

export type ReplyStreamEvent =
  | { id: string; type: 'reset' }
  | { id: string; type: 'delta'; text: string }
  | { id: string; type: 'final'; message: Message };

/**
 * Reads a reply's Redis stream, written by the worker: `reset` when an attempt starts (drop any partial text),
 * `delta` with text, `final` when the reply is stored. Entry ids are the SSE event ids, so a client resuming with
 * Last-Event-ID continues right after the last event it saw. The row in PostgreSQL is the source of truth: it is
 * checked whenever the stream is quiet, so a reply that ended without a `final` entry still ends the read.
 */
@Injectable()
export class ReplyStreamReader {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
  ) {}

  async *read(reply: Message, afterId: string, signal: AbortSignal): AsyncGenerator<ReplyStreamEvent> {
    if (FINAL_MESSAGE_STATUSES.includes(reply.status)) {
      yield { id: 'final', type: 'final', message: reply };
      return;
    }
    // Blocking reads need a connection of their own, with no command timeout shorter than the block.
    const connection = this.redis.duplicate({ commandTimeout: BLOCK_MS + 3000, enableOfflineQueue: true });
    // A failure surfaces as the read's rejection below; the listener only keeps ioredis from reporting it unhandled.
    connection.on('error', () => undefined);
    const abort = (): void => connection.disconnect();
    signal.addEventListener('abort', abort, { once: true });
    const key = this.keys.replyStream(reply.id);
    let lastId = afterId;
    try {
      while (!signal.aborted) {
        const batch = await connection.xread('COUNT', 100, 'BLOCK', BLOCK_MS, 'STREAMS', key, lastId);
        const entries = batch?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) {
          lastId = id;
          const event = await this.toEvent(reply.id, id, fields);
          if (event) yield event;
          if (event?.type === 'final') return;
        }
        if (entries.length === 0) {
          const current = await this.messages.findOneBy({ id: reply.id });
          if (!current || FINAL_MESSAGE_STATUSES.includes(current.status)) {
            if (current) yield { id: 'final', type: 'final', message: current };
            return;
          }
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      signal.removeEventListener('abort', abort);
      connection.disconnect();
    }
  }

  /** Resolves with the reply once it is final, or as it stands when the time is up. */
  async waitUntilFinal(reply: Message, timeoutMs: number): Promise<Message> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      for await (const event of this.read(reply, '0', signal)) {
        if (event.type === 'final') return event.message;
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
    return (await this.messages.findOneBy({ id: reply.id })) ?? reply;
  }

  private async toEvent(
    replyId: string,
    id: string,
    fields: string[],
  ): Promise<ReplyStreamEvent | undefined> {
    const entry: Record<string, string> = {};
    for (let index = 0; index + 1 < fields.length; index += 2) entry[fields[index]] = fields[index + 1];
    switch (entry.type) {
      case 'reset':
        return { id, type: 'reset' };
      case 'delta':
        return { id, type: 'delta', text: entry.text ?? '' };
      case 'final': {
        const message = await this.messages.findOneBy({ id: replyId });
        return message ? { id, type: 'final', message } : undefined;
      }
      default:
        return undefined;
    }
  }
}
