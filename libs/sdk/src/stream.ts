/** One Server-Sent Event of `GET /chatroom/{id}/message/{messageId}/stream`. */
export type ReplyStreamEvent =
  | { type: 'delta'; id: string; text: string }
  | { type: 'reset'; id: string }
  /** The reply's completion gave its chatroom a generated title; comes just before `final`. */
  | { type: 'title'; chatroomId: string; title: string }
  | { type: 'final'; id: string; message: Record<string, unknown> }
  | { type: 'error'; id?: string; code: string; message: string };

export interface StreamReplyOptions {
  baseUrl: string;
  accessToken: string;
  chatroomId: string;
  messageId: string;
  /** Resume after this event id (from a previous event's `id`). */
  lastEventId?: string;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * Streams a reply as it is generated. Append `delta` texts, drop what you have on `reset` (a retry started), and
 * stop at `final`, which carries the stored message with token usage. `title` announces a chatroom's new title.
 */
export async function* streamReplyEvents(options: StreamReplyOptions): AsyncGenerator<ReplyStreamEvent> {
  const url = `${options.baseUrl}/chatroom/${options.chatroomId}/message/${options.messageId}/stream`;
  const response = await (options.fetch ?? fetch)(url, {
    headers: {
      accept: 'text/event-stream',
      authorization: `Bearer ${options.accessToken}`,
      ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}),
    },
    signal: options.signal,
  });
  if (!response.ok || !response.body) {
    throw new Error(`Stream request failed with HTTP ${response.status}: ${await response.text()}`);
  }
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) !== -1) {
      const event = parseBlock(buffer.slice(0, boundary));
      buffer = buffer.slice(boundary + 2);
      if (!event) continue;
      yield event;
      if (event.type === 'final') {
        await reader.cancel();
        return;
      }
    }
  }
}

function parseBlock(block: string): ReplyStreamEvent | undefined {
  let id = '';
  let type = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('id:')) id = line.slice(3).trim();
    else if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  const payload = data ? (JSON.parse(data) as Record<string, unknown>) : {};
  const text = (key: string, fallback: string): string =>
    typeof payload[key] === 'string' ? payload[key] : fallback;
  switch (type) {
    case 'delta':
      return { type, id, text: text('text', '') };
    case 'reset':
      return { type, id };
    case 'title':
      return { type, chatroomId: text('chatroomId', ''), title: text('title', '') };
    case 'final':
      return { type, id, message: payload };
    case 'error':
      return {
        type,
        id,
        code: text('code', 'STREAM_ERROR'),
        message: text('message', ''),
      };
    default:
      return undefined;
  }
}
