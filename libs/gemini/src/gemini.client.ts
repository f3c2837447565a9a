import { FinishReason, GoogleGenAI } from '@google/genai';
import type { Content } from '@google/genai';
import { AppConfig } from '@app/config';
import { classifyGeminiError, GeminiError, GeminiErrorCode } from './gemini-error';
import { GenerationSettings } from './model-policy';

export interface ReplyChunk {
  text: string;
}

export interface ReplyOutcome {
  finishReason: string | null;
  truncated: boolean;
  promptTokens: number | null;
  outputTokens: number | null;
  /** Tokens spent thinking, where the model reports them (Gemini 2.5 does, within maxOutputTokens). */
  thinkingTokens: number | null;
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

/** A chatroom title written by Gemini, and what it cost. */
export interface TitleSuggestion {
  title: string;
  model: string;
  /** Every token of the request (prompt, output, thinking), as Gemini reports it. */
  tokens: number;
}

const TITLE_INSTRUCTION =
  'Write a title of at most six words for the conversation you are given, in its language. ' +
  'Answer with the title only: no quotes, no trailing punctuation.';
/** How much of each side of the first exchange a title request sends. */
const TITLE_EXCERPT_CHARS = 2000;
export const GENERATED_TITLE_MAX_LENGTH = 80;

/** The first line, without quotes, markdown emphasis or a trailing full stop, at most 80 code points. */
export function cleanTitle(text: string): string {
  const line = text.split('\n').find((candidate) => candidate.trim()) ?? '';
  const stripped = line
    .trim()
    .replace(/^(title:\s*)/i, '')
    .replace(/^["'“”‘’*#\s]+|["'“”‘’*\s]+$/g, '')
    .replace(/[.。]$/, '')
    .trim();
  return [...stripped].slice(0, GENERATED_TITLE_MAX_LENGTH).join('').trim();
}

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

  /**
   * Streams the answer to `contents` with `settings`, calling `onChunk` for each piece of text. `signal` aborts the
   * call (cancellation or the per-job deadline); `abortReason` tells which, for classification.
   */
  async streamReply(
    contents: Content[],
    settings: GenerationSettings,
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
      const outcome = await this.stream(contents, settings, timedOnChunk, signal, abortReason);
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

  /**
   * A short title for a conversation that starts with `exchange`, or undefined when Gemini gives none in time: a
   * title is a nicety, so every failure is reported to the observer and swallowed.
   */
  async suggestTitle(exchange: { prompt: string; reply: string }): Promise<TitleSuggestion | undefined> {
    if (!this.sdk) return undefined;
    const { model, maxOutputTokens, timeoutMs } = this.config.titles;
    const started = performance.now();
    try {
      const response = await this.sdk.models.generateContent({
        model,
        contents: [
          {
            role: 'user',
            parts: [
              {
                text: `User: ${exchange.prompt.slice(0, TITLE_EXCERPT_CHARS)}\n\nAssistant: ${exchange.reply.slice(0, TITLE_EXCERPT_CHARS)}`,
              },
            ],
          },
        ],
        config: {
          abortSignal: AbortSignal.timeout(timeoutMs),
          maxOutputTokens,
          temperature: 0.2,
          systemInstruction: TITLE_INSTRUCTION,
          // Gemini 2.5 counts thinking against maxOutputTokens: a few dozen tokens would all go to thinking.
          thinkingConfig: { thinkingBudget: 0 },
        },
      });
      const usage = response.usageMetadata;
      this.observe({
        outcome: 'ok',
        durationMs: performance.now() - started,
        promptTokens: usage?.promptTokenCount ?? null,
        outputTokens: usage?.candidatesTokenCount ?? null,
      });
      const title = cleanTitle(response.text ?? '');
      const tokens =
        usage?.totalTokenCount ??
        (usage?.promptTokenCount ?? 0) +
          (usage?.candidatesTokenCount ?? 0) +
          (usage?.thoughtsTokenCount ?? 0);
      return title ? { title, model, tokens } : undefined;
    } catch (error) {
      this.observe({
        outcome: classifyGeminiError(error, undefined).code,
        durationMs: performance.now() - started,
        promptTokens: null,
        outputTokens: null,
      });
      return undefined;
    }
  }

  private async stream(
    contents: Content[],
    settings: GenerationSettings,
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
      thinkingTokens: null,
      totalTokens: null,
    };
    let receivedText = false;
    try {
      const stream = await this.sdk.models.generateContentStream({
        model: settings.model,
        contents,
        config: {
          abortSignal: signal,
          maxOutputTokens: settings.maxOutputTokens,
          ...(settings.systemInstruction ? { systemInstruction: settings.systemInstruction } : {}),
          ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
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
          outcome.thinkingTokens = usage.thoughtsTokenCount ?? outcome.thinkingTokens;
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
