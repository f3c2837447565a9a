import { APP_CONFIG, AppConfig } from '@app/config';
import { Message } from '@app/database';
import { createRedis, RedisKeys } from '@app/queue';
import {
  isFinalStatus,
  isTerminal,
  ReplyChannel,
  ReplyErrorCode,
  ReplyRepository,
  ReplyStreamEvent,
} from '@app/replies';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';

/** How often the replies being watched are checked in PostgreSQL, all in one query, in case an event was lost. */
const RECHECK_EVERY_MS = 5000;

/** One stream or `?wait` request following a reply. */
interface Watcher {
  replyId: string;
  sessionId: string;
  /** Set by a notification; cleared before each read, so an event arriving during a read is not missed. */
  dirty: boolean;
  /** Why the watch must end without reading further: the session was revoked, or the row says so. */
  outcome?: ReplyStreamEvent;
  wake?: () => void;
}

/**
 * Follows replies for the api's SSE streams and `?wait` requests through one shared subscriber connection:
 * writers announce each stream entry on the reply's events channel, and a watcher then reads the new entries with
 * the app's command connection. Whatever the number of open streams, this process holds two Redis connections
 * for them, and quiet streams cost nothing (one PostgreSQL query every few seconds covers all of them).
 */
@Injectable()
export class ReplyEventHub implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReplyEventHub.name);
  private readonly watchers = new Map<string, Set<Watcher>>();
  private subscriber?: Redis;
  private recheck?: NodeJS.Timeout;

  constructor(
    private readonly channel: ReplyChannel,
    private readonly replies: ReplyRepository,
    private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscriber = createRedis(this.config.redis.url, 'api', 'api-reply-events', (error) =>
      this.logger.warn(`Redis (reply events): ${error.message}`),
    );
    const eventsPrefix = this.keys.replyEvents('');
    const revoked = this.keys.sessionRevokedChannel();
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === revoked) this.endSession(message);
      else if (channel.startsWith(eventsPrefix)) this.notify(channel.slice(eventsPrefix.length));
    });
    // Entries written while the connection was down were not announced: read them all again.
    this.subscriber.on('ready', () => this.forEachWatcher((watcher) => this.signal(watcher)));
    await this.subscriber.subscribe(revoked).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'Could not subscribe to session revocations yet; ioredis will retry');
    });
    this.recheck = setInterval(() => void this.recheckRows(), RECHECK_EVERY_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.recheck);
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  /** The reply's events after `afterId` ('0' for all), ending with its terminal event or when `signal` aborts. */
  async *follow(
    reply: Message,
    sessionId: string,
    afterId: string,
    signal: AbortSignal,
  ): AsyncGenerator<ReplyStreamEvent> {
    if (isFinalStatus(reply.status)) {
      yield { id: 'final', type: 'final', message: reply };
      return;
    }
    const watcher = await this.watch(reply.id, sessionId);
    const abort = (): void => watcher.wake?.();
    signal.addEventListener('abort', abort, { once: true });
    try {
      let cursor = afterId;
      while (!signal.aborted) {
        if (watcher.outcome?.type === 'error') {
          yield watcher.outcome;
          return;
        }
        watcher.dirty = false;
        const events = await this.channel.read(reply.id, cursor);
        for (const event of events) {
          cursor = event.id;
          yield event;
          if (isTerminal(event)) return;
        }
        if (events.length > 0) continue;
        if (watcher.outcome) {
          yield watcher.outcome;
          return;
        }
        await this.changed(watcher, signal);
      }
    } finally {
      signal.removeEventListener('abort', abort);
      this.unwatch(watcher);
    }
  }

  /** The reply once final, or as it stands when `signal` aborts (time up, client gone) or the wait must end. */
  async waitForFinal(reply: Message, sessionId: string, signal: AbortSignal): Promise<Message> {
    if (isFinalStatus(reply.status)) return reply;
    const watcher = await this.watch(reply.id, sessionId);
    const abort = (): void => watcher.wake?.();
    signal.addEventListener('abort', abort, { once: true });
    try {
      while (!signal.aborted && !watcher.outcome) {
        watcher.dirty = false;
        const terminal = await this.channel.terminal(reply.id);
        if (terminal?.type === 'final') return terminal.message;
        if (terminal) break;
        await this.changed(watcher, signal);
      }
      if (watcher.outcome?.type === 'final') return watcher.outcome.message;
    } finally {
      signal.removeEventListener('abort', abort);
      this.unwatch(watcher);
    }
    return (await this.replies.findReply(reply.id)) ?? reply;
  }

  private async watch(replyId: string, sessionId: string): Promise<Watcher> {
    const watcher: Watcher = { replyId, sessionId, dirty: false };
    let watchers = this.watchers.get(replyId);
    if (!watchers) {
      watchers = new Set();
      this.watchers.set(replyId, watchers);
    }
    watchers.add(watcher);
    try {
      // Subscribing again is harmless; awaiting it means no entry written from now on goes unannounced.
      await this.subscriber!.subscribe(this.keys.replyEvents(replyId));
    } catch (error) {
      this.unwatch(watcher);
      throw error;
    }
    return watcher;
  }

  private unwatch(watcher: Watcher): void {
    const watchers = this.watchers.get(watcher.replyId);
    if (!watchers?.delete(watcher) || watchers.size > 0) return;
    this.watchers.delete(watcher.replyId);
    void this.subscriber?.unsubscribe(this.keys.replyEvents(watcher.replyId)).catch(() => undefined);
  }

  private changed(watcher: Watcher, signal: AbortSignal): Promise<void> {
    if (watcher.dirty || watcher.outcome || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      watcher.wake = () => {
        watcher.wake = undefined;
        resolve();
      };
    });
  }

  private signal(watcher: Watcher): void {
    watcher.dirty = true;
    watcher.wake?.();
  }

  private notify(replyId: string): void {
    for (const watcher of this.watchers.get(replyId) ?? []) this.signal(watcher);
  }

  private endSession(sessionId: string): void {
    this.forEachWatcher((watcher) => {
      if (watcher.sessionId !== sessionId) return;
      watcher.outcome = {
        id: 'error',
        type: 'error',
        code: ReplyErrorCode.SessionEnded,
        message: 'Your session ended (logged out or revoked); log in again to follow this reply',
      };
      this.signal(watcher);
    });
  }

  /**
   * A reply can be final in PostgreSQL with no terminal entry in its stream (Redis was unreachable when it was
   * settled) or gone with its chatroom: one query over every watched reply ends those watches with what is stored.
   */
  private async recheckRows(): Promise<void> {
    const replyIds = [...this.watchers.keys()];
    if (replyIds.length === 0) return;
    try {
      const rows = new Map((await this.replies.findMany(replyIds)).map((row) => [row.id, row]));
      for (const replyId of replyIds) {
        const row = rows.get(replyId);
        if (row && !isFinalStatus(row.status)) continue;
        const outcome: ReplyStreamEvent = row
          ? { id: 'final', type: 'final', message: row }
          : {
              id: 'error',
              type: 'error',
              code: ReplyErrorCode.ChatroomDeleted,
              message: 'The chatroom was deleted while this reply was open',
            };
        for (const watcher of this.watchers.get(replyId) ?? []) {
          watcher.outcome ??= outcome;
          this.signal(watcher);
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not recheck watched replies; will try again');
    }
  }

  private forEachWatcher(visit: (watcher: Watcher) => void): void {
    for (const watchers of this.watchers.values()) for (const watcher of watchers) visit(watcher);
  }
}
