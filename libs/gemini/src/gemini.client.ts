import { FinishReason, GoogleGenAI } from '@google/genai';
import type { Content } from '@google/genai';
import { AppConfig } from '@app/config';
import { classifyGeminiError, GeminiError, GeminiErrorCode } from './gemini-error';

export interface ReplyChunk {
  text: string;
}

export interface ReplyOutcome {
  finishReason: string | null;
  truncated: boolean;
  promptTokens: number | null;
  outputTokens: number | null;
  totalTokens: number | null;
}

/** What one Gemini call took and produced; the worker turns these into metrics. */
export interface GeminiCallRecord {
  outcome: 'ok' | GeminiErrorCode;
  durationMs: number;
  /** Time until the first piece of text arrived, when one did. */
  firstChunkMs?: number;
  promptTokens: number | null;
  outputTokens: number | null;
}

export type GeminiCallObserver = (record: GeminiCallRecord) => void;

/** Finish reasons that mean Gemini refused or withheld the answer: a retry would not change that. */
const REFUSALS = new Set<string>([
  FinishReason.SAFETY,
  FinishReason.PROHIBITED_CONTENT,
  FinishReason.BLOCKLIST,
  FinishReason.SPII,
  FinishReason.RECITATION,
  FinishReason.OTHER,
  FinishReason.IMAGE_SAFETY,
]);

/**
 * The only code that talks to Gemini. It streams a reply and classifies every failure as a GeminiError; retries are
 * left to the queue (the SDK retries nothing without `retryOptions`), so there is exactly one retry layer.
 */
export class GeminiClient {
  private readonly sdk?: GoogleGenAI;

  constructor(
    private readonly config: AppConfig['gemini'],
    private readonly observe: GeminiCallObserver = () => undefined,
  ) {
    if (config.apiKey) {
      this.sdk = new GoogleGenAI({
        apiKey: config.apiKey,
        apiVersion: 'v1beta',
        httpOptions: {
          ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
          timeout: config.timeoutMs,
          // The SDK's default fetch needs Undici's global dispatcher, which Jest does not provide.
          fetch: (input: string | URL | Request, init?: RequestInit) => fetch(input, init),
        },
      });
    }
  }

  get model(): string {
    return this.config.model;
  }

  /**
   * Streams the answer to `contents`, calling `onChunk` for each piece of text. `signal` aborts the call
   * (cancellation or the per-job deadline); `abortReason` tells which, for classification.
   */
  async streamReply(
    contents: Content[],
    onChunk: (chunk: ReplyChunk) => Promise<void>,
    signal: AbortSignal,
    abortReason: () => 'cancelled' | 'deadline' | undefined,
  ): Promise<ReplyOutcome> {
    const started = performance.now();
    let firstChunkMs: number | undefined;
    const timedOnChunk = (chunk: ReplyChunk): Promise<void> => {
      firstChunkMs ??= performance.now() - started;
      return onChunk(chunk);
    };
    try {
      const outcome = await this.stream(contents, timedOnChunk, signal, abortReason);
      this.observe({
        outcome: 'ok',
        durationMs: performance.now() - started,
        firstChunkMs,
        promptTokens: outcome.promptTokens,
        outputTokens: outcome.outputTokens,
      });
      return outcome;
    } catch (error) {
      this.observe({
        outcome: error instanceof GeminiError ? error.code : GeminiErrorCode.NetworkError,
        durationMs: performance.now() - started,
        firstChunkMs,
        promptTokens: null,
        outputTokens: null,
      });
      throw error;
    }
  }

  private async stream(
    contents: Content[],
    onChunk: (chunk: ReplyChunk) => Promise<void>,
    signal: AbortSignal,
    abortReason: () => 'cancelled' | 'deadline' | undefined,
  ): Promise<ReplyOutcome> {
    if (!this.sdk) throw new GeminiError(GeminiErrorCode.NotConfigured);
    const outcome: ReplyOutcome = {
      finishReason: null,
      truncated: false,
      promptTokens: null,
      outputTokens: null,
      totalTokens: null,
    };
    let receivedText = false;
    try {
      const stream = await this.sdk.models.generateContentStream({
        model: this.config.model,
        contents,
        config: {
          abortSignal: signal,
          maxOutputTokens: this.config.maxOutputTokens,
          ...(this.config.systemInstruction ? { systemInstruction: this.config.systemInstruction } : {}),
        },
      });
      for await (const response of stream) {
        if (signal.aborted) throw signal.reason;
        const blockReason = response.promptFeedback?.blockReason;
        if (blockReason)
          throw new GeminiError(GeminiErrorCode.SafetyBlocked, `prompt blocked (${blockReason})`);
        const candidate = response.candidates?.[0];
        const text = response.text ?? '';
        if (text) {
          receivedText = true;
          await onChunk({ text });
        }
        if (candidate?.finishReason) outcome.finishReason = candidate.finishReason;
        const usage = response.usageMetadata;
        if (usage) {
          outcome.promptTokens = usage.promptTokenCount ?? outcome.promptTokens;
          outcome.outputTokens = usage.candidatesTokenCount ?? outcome.outputTokens;
          outcome.totalTokens = usage.totalTokenCount ?? outcome.totalTokens;
        }
      }
    } catch (error) {
      throw classifyGeminiError(error, signal.aborted ? abortReason() : undefined);
    }
    if (outcome.finishReason && REFUSALS.has(outcome.finishReason)) {
      throw new GeminiError(GeminiErrorCode.SafetyBlocked, `finish reason ${outcome.finishReason}`);
    }
    if (!receivedText) throw new GeminiError(GeminiErrorCode.EmptyResponse);
    outcome.truncated = outcome.finishReason === FinishReason.MAX_TOKENS;
    return outcome;
  }
}
