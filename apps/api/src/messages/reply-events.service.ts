import { Message } from '@app/database';
import { Injectable, Logger, MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { MessageResponse } from './dto/message.dto';
import { ReplyStreamReader } from './reply-stream.reader';

const STREAM_ENTRY_ID = /^\d{1,20}-\d{1,20}$/;
const KEEPALIVE_MS = 15_000;

/** Turns a reply's stream into Server-Sent Events, ending with the `final` event. */
@Injectable()
export class ReplyEventsService {
  private readonly logger = new Logger(ReplyEventsService.name);

  constructor(private readonly reader: ReplyStreamReader) {}

  stream(reply: Message, lastEventId: string | undefined): Observable<MessageEvent> {
    const after = lastEventId && STREAM_ENTRY_ID.test(lastEventId) ? lastEventId : '0';
    return new Observable<MessageEvent>((subscriber) => {
      const controller = new AbortController();
      // Keeps proxies from closing a quiet connection while Gemini thinks.
      const keepalive = setInterval(() => subscriber.next({ type: 'ping', data: {} }), KEEPALIVE_MS);
      const pump = async (): Promise<void> => {
        for await (const event of this.reader.read(reply, after, controller.signal)) {
          if (event.type === 'delta')
            subscriber.next({ id: event.id, type: 'delta', data: { text: event.text } });
          if (event.type === 'reset') subscriber.next({ id: event.id, type: 'reset', data: {} });
          if (event.type === 'final') {
            subscriber.next({ id: event.id, type: 'final', data: MessageResponse.from(event.message) });
          }
        }
      };
      pump()
        .then(() => subscriber.complete())
        .catch((error: unknown) => {
          this.logger.warn({ err: error, replyId: reply.id }, 'Reply stream ended with an error');
          subscriber.next({
            type: 'error',
            data: { code: 'STREAM_UNAVAILABLE', message: 'Stream interrupted; reconnect' },
          });
          subscriber.complete();
        })
        .finally(() => clearInterval(keepalive));
      return () => {
        clearInterval(keepalive);
        controller.abort();
      };
    });
  }
}
