import { request as httpRequest } from 'node:http';
import { SseEvent } from './http';

/** Opens an SSE stream with node:http (an aborted undici fetch keeps the server's socket busy) and collects events. */
export interface OpenStream {
  events: SseEvent[];
  /** Resolves with the status once the response headers arrive. */
  connected: Promise<number>;
  ended: Promise<void>;
  close(): void;
}

export function openStream(url: string, accessToken: string): OpenStream {
  const events: SseEvent[] = [];
  let close = (): void => undefined;
  let onConnected: (status: number) => void = () => undefined;
  const connected = new Promise<number>((resolve) => (onConnected = resolve));
  const ended = new Promise<void>((resolve, reject) => {
    const request = httpRequest(
      url,
      { headers: { authorization: `Bearer ${accessToken}` }, agent: false },
      (response) => {
        onConnected(response.statusCode ?? 0);
        let buffer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk;
          let boundary: number;
          while ((boundary = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, boundary);
            buffer = buffer.slice(boundary + 2);
            const event: SseEvent = { event: 'message', data: undefined };
            for (const line of block.split('\n')) {
              if (line.startsWith('id:')) event.id = line.slice(3).trim();
              else if (line.startsWith('event:')) event.event = line.slice(6).trim();
              else if (line.startsWith('data:')) event.data = JSON.parse(line.slice(5).trim());
            }
            if (block.trim()) events.push(event);
          }
        });
        response.on('end', resolve);
        response.on('close', resolve);
      },
    );
    request.on('error', (error) => (request.destroyed ? resolve() : reject(error)));
    request.end();
    close = () => request.destroy();
  });
  return { events, connected, ended, close };
}
