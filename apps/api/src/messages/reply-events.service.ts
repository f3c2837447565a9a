import { Message } from '@app/database';
import { isFinalStatus, ReplyErrorCode, STREAM_ENTRY_ID } from '@app/replies';
import { Injectable, Logger, MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { MessageResponse } from './dto/message.dto';
import { ReplyEventHub } from './reply-event-hub';
import { StreamLease, StreamLeases } from './stream-leases';

const KEEPALIVE_MS = 15_000;

/** Turns a reply's events into Server-Sent Events, ending with `final` or `error`, and frees the lease after. */
@Injectable()
export class ReplyEventsService {
  private readonly logger = new Logger(ReplyEventsService.name);

  constructor(
    private readonly hub: ReplyEventHub,
    private readonly leases: StreamLeases,
  ) {}

  stream(
    reply: Message,
    sessionId: string,
    lease: StreamLease,
    lastEventId: string | undefined,
  ): Observable<MessageEvent> {
    const after = lastEventId && STREAM_ENTRY_ID.test(lastEventId) ? lastEventId : '0';
    return new Observable<MessageEvent>((subscriber) => {
      const controller = new AbortController();
      // Sent at once for an open reply, so the response starts even while it waits in the queue, then every few seconds, so
      // proxies keep a quiet connection open while Gemini thinks.
      const ping = (): void => subscriber.next({ type: 'ping', data: {} });
      if (!isFinalStatus(reply.status)) ping();
      const keepalive = setInterval(ping, KEEPALIVE_MS);
      const pump = async (): Promise<void> => {
        for await (const event of this.hub.follow(reply, sessionId, after, controller.signal)) {
          switch (event.type) {
            case 'reset':
              subscriber.next({ id: event.id, type: 'reset', data: {} });
              break;
            case 'delta':
              subscriber.next({ id: event.id, type: 'delta', data: { text: event.text } });
              break;
            case 'final':
              // Without an id: a client resuming after it (Last-Event-ID) is sent it again with the final event.
              if (event.chatroomTitle) {
                subscriber.next({
                  type: 'title',
                  data: { chatroomId: event.message.chatroomId, title: event.chatroomTitle },
                });
              }
              subscriber.next({ id: event.id, type: 'final', data: MessageResponse.from(event.message) });
              break;
            case 'error':
              subscriber.next({
                id: event.id,
                type: 'error',
                data: { code: event.code, message: event.message },
              });
              break;
          }
        }
      };
      pump()
        .catch((error: unknown) => {
          this.logger.warn({ err: error, replyId: reply.id }, 'Reply stream ended with an error');
          subscriber.next({
            type: 'error',
            data: {
              code: ReplyErrorCode.StreamUnavailable,
              message: 'Stream interrupted; reconnect with Last-Event-ID',
            },
          });
        })
        .finally(() => {
          clearInterval(keepalive);
          void this.leases.release(lease);
          subscriber.complete();
        });
      return () => {
        clearInterval(keepalive);
        controller.abort();
      };
    });
  }
}
