import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * What the fake does with one request. Scripts for a prompt (`scriptFor`) come first, then the shared script, each
 * consumed in order; when none is left, `fallback` answers.
 */
export type GeminiBehaviour =
  | {
      kind: 'answer';
      chunks: string[];
      chunkDelayMs?: number;
      /** Pause between the response headers and the first chunk (streaming only). */
      firstChunkDelayMs?: number;
      finishReason?: string;
      /** Reported as `thoughtsTokenCount`, as Gemini 2.5 does for its thinking. */
      thinkingTokens?: number;
    }
  | { kind: 'error'; status: number; retryAfterSeconds?: number }
  | { kind: 'block'; reason?: string }
  | { kind: 'errorMidStream'; chunks: string[]; status: number }
  | { kind: 'hang' };

export interface RecordedGeminiRequest {
  model: string;
  method: 'generateContent' | 'streamGenerateContent';
  apiKey: string | undefined;
  body: {
    contents: { role: string; parts: { text: string }[] }[];
    systemInstruction?: unknown;
    generationConfig?: { maxOutputTokens?: number; temperature?: number };
  };
  receivedAt: number;
}

/** Optional observer, for benchmarks: told the moment each streamed chunk has been written to the socket. */
export interface FakeGeminiObserver {
  /** `writtenAt` is `performance.timeOrigin + performance.now()`: comparable across processes of one machine. */
  onChunkWritten?(chunk: { prompt: string; index: number; writtenAt: number }): void;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** What every request reports as its prompt's size; the output counts a token per word. */
export const PROMPT_TOKENS = 7;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A local stand-in for the Gemini API that speaks its REST protocol: `POST /v1beta/models/{model}:generateContent`
 * and `:streamGenerateContent?alt=sse`, `x-goog-api-key` auth, Google's error bodies (with RetryInfo on 429s).
 * Tests script its behaviour and read back what it received.
 */
export class FakeGemini {
  readonly requests: RecordedGeminiRequest[] = [];
  private readonly scripts: GeminiBehaviour[] = [];
  private readonly promptScripts: { promptIncludes: string; behaviours: GeminiBehaviour[] }[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server?: Server;
  private streaming = 0;

  constructor(
    private readonly apiKey = 'fake-gemini-key',
    private readonly fallback: (prompt: string, request: RecordedGeminiRequest) => GeminiBehaviour = (
      prompt,
    ) => ({
      kind: 'answer',
      chunks: ['You said: ', prompt.slice(0, 200)],
    }),
    private readonly observer: FakeGeminiObserver = {},
  ) {}

  get url(): string {
    const port = (this.server?.address() as AddressInfo | null)?.port;
    return `http://127.0.0.1:${port}`;
  }

  get key(): string {
    return this.apiKey;
  }

  /** Streamed answers currently open (headers sent, not yet ended). */
  get openStreams(): number {
    return this.streaming;
  }

  script(...behaviours: GeminiBehaviour[]): void {
    this.scripts.push(...behaviours);
  }

  /**
   * Behaviours for the requests whose prompt (the last turn) contains `promptIncludes`, in order. Unlike the shared
   * script, what one conversation meets does not depend on when other conversations' requests arrive.
   */
  scriptFor(promptIncludes: string, ...behaviours: GeminiBehaviour[]): void {
    this.promptScripts.push({ promptIncludes, behaviours });
  }

  reset(): void {
    this.scripts.length = 0;
    this.promptScripts.length = 0;
    this.requests.length = 0;
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return this.url;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const match = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)(\?.*)?$/.exec(
      request.url ?? '',
    );
    if (request.method !== 'POST' || !match) return this.sendError(response, 404);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedGeminiRequest['body'];
    const apiKey = request.headers['x-goog-api-key'] as string | undefined;
    const method = match[2] as RecordedGeminiRequest['method'];
    const recorded: RecordedGeminiRequest = { model: match[1], method, apiKey, body, receivedAt: Date.now() };
    this.requests.push(recorded);
    if (apiKey !== this.apiKey)
      return this.sendError(response, 403, 'API key not valid. Please pass a valid API key.');

    const prompt =
      body.contents
        .at(-1)
        ?.parts.map((part) => part.text)
        .join('') ?? '';
    const behaviour =
      this.promptScripts.find((entry) => prompt.includes(entry.promptIncludes))?.behaviours.shift() ??
      this.scripts.shift() ??
      this.fallback(prompt, recorded);
    switch (behaviour.kind) {
      case 'error':
        return this.sendError(response, behaviour.status, undefined, behaviour.retryAfterSeconds);
      case 'hang':
        this.hanging.add(response);
        response.on('close', () => this.hanging.delete(response));
        return;
      case 'block':
        return this.sendAnswer(response, method, prompt, [], {
          promptFeedback: { blockReason: behaviour.reason ?? 'SAFETY' },
        });
      case 'errorMidStream':
        return this.sendAnswer(response, method, prompt, behaviour.chunks, {}, {}, behaviour.status);
      case 'answer':
        return this.sendAnswer(
          response,
          method,
          prompt,
          behaviour.chunks,
          { finishReason: behaviour.finishReason ?? 'STOP', thinkingTokens: behaviour.thinkingTokens },
          { chunkDelayMs: behaviour.chunkDelayMs, firstChunkDelayMs: behaviour.firstChunkDelayMs },
        );
    }
  }

  private async sendAnswer(
    response: ServerResponse,
    method: RecordedGeminiRequest['method'],
    prompt: string,
    texts: string[],
    ending: { finishReason?: string; promptFeedback?: object; thinkingTokens?: number },
    { chunkDelayMs = 0, firstChunkDelayMs = 0 }: { chunkDelayMs?: number; firstChunkDelayMs?: number } = {},
    failWithStatus?: number,
  ): Promise<void> {
    const outputTokens = texts.join('').split(/\s+/).filter(Boolean).length;
    const thinkingTokens = ending.thinkingTokens ?? 0;
    const usageMetadata = {
      promptTokenCount: PROMPT_TOKENS,
      candidatesTokenCount: outputTokens,
      ...(thinkingTokens ? { thoughtsTokenCount: thinkingTokens } : {}),
      totalTokenCount: PROMPT_TOKENS + outputTokens + thinkingTokens,
    };
    const pieces = texts.map((text, index) => ({
      candidates: [
        {
          content: { role: 'model', parts: [{ text }] },
          index: 0,
          ...(index === texts.length - 1 && ending.finishReason ? { finishReason: ending.finishReason } : {}),
        },
      ],
      ...(index === texts.length - 1 ? { usageMetadata } : {}),
      modelVersion: 'fake-gemini',
    }));
    if (ending.promptFeedback)
      pieces.push({
        promptFeedback: ending.promptFeedback,
        usageMetadata,
        modelVersion: 'fake-gemini',
      } as never);

    if (method === 'generateContent') {
      const text = texts.join('');
      const candidates = text
        ? [{ content: { role: 'model', parts: [{ text }] }, finishReason: ending.finishReason, index: 0 }]
        : [];
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          candidates,
          usageMetadata,
          promptFeedback: ending.promptFeedback,
          modelVersion: 'fake-gemini',
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    this.streaming += 1;
    try {
      if (firstChunkDelayMs) await sleep(firstChunkDelayMs);
      for (const [index, piece] of pieces.entries()) {
        if (response.destroyed) return;
        response.write(`data: ${JSON.stringify(piece)}\r\n\r\n`);
        this.observer.onChunkWritten?.({
          prompt,
          index,
          writtenAt: performance.timeOrigin + performance.now(),
        });
        if (chunkDelayMs) await sleep(chunkDelayMs);
      }
      if (failWithStatus) {
        response.write(`data: ${JSON.stringify(errorBody(failWithStatus))}\r\n\r\n`);
      }
      response.end();
    } finally {
      this.streaming -= 1;
    }
  }

  private sendError(
    response: ServerResponse,
    status: number,
    message?: string,
    retryAfterSeconds?: number,
  ): void {
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
    if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
    response.writeHead(status, headers).end(JSON.stringify(errorBody(status, message, retryAfterSeconds)));
  }
}

function errorBody(status: number, message?: string, retryAfterSeconds?: number): object {
  return {
    error: {
      code: status,
      message: message ?? `Fake Gemini error ${status}`,
      status: STATUS_NAMES[status] ?? 'UNKNOWN',
      ...(retryAfterSeconds !== undefined
        ? {
            details: [
              { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` },
            ],
          }
        : {}),
    },
  };
}
