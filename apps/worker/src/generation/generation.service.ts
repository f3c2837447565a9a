import { APP_CONFIG, AppConfig } from '@app/config';
import { FINAL_MESSAGE_STATUSES, Message, MessageRole, MessageStatus } from '@app/database';
import { buildContents, GeminiClient, GeminiError, ReplyOutcome } from '@app/gemini';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { CancellationRegistry } from './cancellation.registry';
import { ReplyStreamWriter } from './reply-stream.writer';

export type GenerationResult = 'completed' | 'failed' | 'cancelled' | 'skipped';

export interface FailureRecord {
  code: string;
  message: string;
}

const ERROR_MESSAGE_MAX = 500;

/** What generating a claimed reply needs to know about it. */
interface ClaimedReply {
  chatroomId: string;
  createdAt: Date;
}

/**
 * Generates one reply: claims it, sends the conversation to Gemini, streams the text into Redis and stores the
 * outcome. Every write to a reply's final state is conditional on its current state, so a cancelled reply is never
 * overwritten and a replayed job changes nothing once the reply is final.
 */
@Injectable()
export class GenerationService {
  private readonly logger = new Logger(GenerationService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly gemini: GeminiClient,
    private readonly stream: ReplyStreamWriter,
    private readonly cancellations: CancellationRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Throws a retryable GeminiError when another attempt may succeed and `isLastAttempt` is false; otherwise records
   * the failure on the reply and returns.
   */
  async generate(replyId: string, isLastAttempt: boolean): Promise<GenerationResult> {
    const reply = await this.claim(replyId);
    if (!reply) return 'skipped';
    await this.stream.append(replyId, 'reset');

    const controller = this.cancellations.track(replyId);
    const deadline = setTimeout(() => controller.abort('deadline'), this.config.gemini.timeoutMs);
    let text = '';
    try {
      const contents = buildContents(await this.history(reply), this.config.gemini.historyCharBudget);
      const outcome = await this.gemini.streamReply(
        contents,
        async (chunk) => {
          text += chunk.text;
          await this.stream.append(replyId, 'delta', chunk.text);
        },
        controller.signal,
        () => (controller.signal.reason === 'cancelled' ? 'cancelled' : 'deadline'),
      );
      return await this.complete(replyId, text, outcome);
    } catch (error) {
      if (controller.signal.reason === 'cancelled') return this.keepPartialText(replyId, text);
      if (!(error instanceof GeminiError)) throw error;
      if (error.retryable && !isLastAttempt) throw error;
      await this.fail(replyId, { code: error.code, message: error.message }, text);
      return 'failed';
    } finally {
      clearTimeout(deadline);
      this.cancellations.release(replyId);
    }
  }

  /** Records a failure found outside `generate` (attempts or stalls exhausted); a no-op on a final reply. */
  async fail(replyId: string, failure: FailureRecord, partialText = ''): Promise<void> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(Message)
      .set({
        status: MessageStatus.Failed,
        content: partialText,
        errorCode: failure.code.slice(0, 40),
        errorMessage: failure.message.slice(0, ERROR_MESSAGE_MAX),
        completedAt: () => 'now()',
      })
      .where('id = :replyId AND status IN (:...open)', {
        replyId,
        open: [MessageStatus.Queued, MessageStatus.Generating],
      })
      .execute();
    if (result.affected) {
      this.logger.warn({ replyId, code: failure.code }, `Reply failed: ${failure.message}`);
      await this.stream.append(replyId, 'final');
    }
  }

  /** Marks the reply generating and returns where its conversation is, or nothing when the reply is not open. */
  private async claim(replyId: string): Promise<ClaimedReply | undefined> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(Message)
      .set({
        status: MessageStatus.Generating,
        content: '',
        attempts: () => 'attempts + 1',
        model: this.gemini.model,
      })
      .where('id = :replyId AND role = :role AND status IN (:...open)', {
        replyId,
        role: MessageRole.Model,
        open: [MessageStatus.Queued, MessageStatus.Generating],
      })
      .returning(['chatroomId', 'createdAt'])
      .execute();
    const row = (result.raw as { chatroom_id: string; created_at: Date }[])[0];
    return row && { chatroomId: row.chatroom_id, createdAt: row.created_at };
  }

  /** The chatroom's messages up to and including the prompt, minus replies that did not complete. */
  private async history(reply: ClaimedReply): Promise<{ role: 'user' | 'model'; text: string }[]> {
    const messages = await this.dataSource.getRepository(Message).find({
      where: { chatroomId: reply.chatroomId, createdAt: LessThan(reply.createdAt) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return messages
      .filter((message) => message.role === MessageRole.User || message.status === MessageStatus.Completed)
      .filter((message) => message.content.length > 0)
      .map((message) => ({
        role: message.role === MessageRole.User ? 'user' : 'model',
        text: message.content,
      }));
  }

  private async complete(replyId: string, text: string, outcome: ReplyOutcome): Promise<GenerationResult> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(Message)
      .set({
        status: MessageStatus.Completed,
        content: text,
        finishReason: outcome.finishReason,
        truncated: outcome.truncated,
        promptTokens: outcome.promptTokens,
        outputTokens: outcome.outputTokens,
        totalTokens: outcome.totalTokens,
        errorCode: null,
        errorMessage: null,
        completedAt: () => 'now()',
      })
      .where('id = :replyId AND status = :generating', { replyId, generating: MessageStatus.Generating })
      .execute();
    if (!result.affected) return this.keepPartialText(replyId, text);
    await this.stream.append(replyId, 'final');
    return 'completed';
  }

  /** The api already marked the reply cancelled; keep what Gemini had sent by then. */
  private async keepPartialText(replyId: string, text: string): Promise<GenerationResult> {
    const current = await this.dataSource.getRepository(Message).findOneBy({ id: replyId });
    if (current?.status === MessageStatus.Cancelled) {
      await this.dataSource
        .getRepository(Message)
        .update({ id: replyId, status: MessageStatus.Cancelled }, { content: text });
      await this.stream.append(replyId, 'final');
      return 'cancelled';
    }
    if (current && FINAL_MESSAGE_STATUSES.includes(current.status)) return 'skipped';
    await this.fail(replyId, { code: 'CANCELLED', message: 'Generation was interrupted' }, text);
    return 'failed';
  }
}
