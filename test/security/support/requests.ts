export interface RawResponse {
  status: number;
  contentType: string;
  /** Every response header, one `name: value` per line, then the body as text. */
  raw: string;
  body: string;
}

/**
 * Sends a request and reads the whole answer as text. A response that keeps streaming (Server-Sent Events) is read
 * for at most `streamMs`, then dropped: what arrived by then is the body.
 */
export async function requestRaw(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
  streamMs = 1_500,
): Promise<RawResponse> {
  const controller = new AbortController();
  const headersTimeout = setTimeout(() => controller.abort(), 30_000);
  const response = await fetch(url, { ...init, signal: controller.signal });
  clearTimeout(headersTimeout);
  const contentType = response.headers.get('content-type') ?? '';
  let body = '';
  if (response.body) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const stop = setTimeout(
      () => controller.abort(),
      contentType.includes('text/event-stream') ? streamMs : 30_000,
    );
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        body += decoder.decode(value, { stream: true });
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      clearTimeout(stop);
    }
  }
  const headerLines: string[] = [];
  response.headers.forEach((value, name) => headerLines.push(`${name}: ${value}`));
  return { status: response.status, contentType, raw: `${headerLines.join('\n')}\n\n${body}`, body };
}
