import { Message, MessageStatus } from '@app/database';
import { REDIS, RedisKeys } from '@app/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { ReplyChannel } from './reply-channel';
import { ReplyContext } from './reply-context';
import {
  ClaimedReply,
  ReplyRepository,
  ReplySettlement,
  StoredExchange,
  TurnCommand,
} from './reply-repository';
import { OPEN_REPLY_STATUSES, ReplyErrorCode } from './reply-status';

const ERROR_MESSAGE_MAX = 500;
const SECOND_INVALIDATION_DELAY_MS = 500;
const ERROR_CODE_MAX = 40;

export interface ReplyFailure {
  code: string;
  message: string;
}

export interface ReplyCompletion {
  /** The model that generated the reply. */
  model: string;
  finishReason: string | null;
  truncated: boolean;
  promptTokens: number | null;
  outputTokens: number | null;
  thinkingTokens: number | null;
  totalTokens: number | null;
}

/** A title Gemini wrote for the reply's chatroom, and the tokens it cost (system usage). */
export interface GeneratedTitle {
  title: string;
  tokens: number;
}

export interface ClaimedGeneration extends ClaimedReply {
  context: ReplyContext;
}

/**
 * The life of a reply, for both apps: accepted (prompt + queued reply stored), claimed by a worker (generating),
 * streamed, then exactly one of completed, failed or cancelled. Whoever wins the move to a final state in
 * PostgreSQL writes the stream's terminal entry, so a reply's stream ends exactly once, with what was stored.
 */
@Injectable()
export class ReplyLifecycle {
  private readonly logger = new Logger(ReplyLifecycle.name);

  constructor(
    private readonly replies: ReplyRepository,
    private readonly channel: ReplyChannel,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Stores a turn (a prompt and its queued reply, or a regenerated reply alone) as the chatroom's active branch;
   * undefined when the chatroom, or the message it builds on, does not exist or is not the user's.
   */
  accept(command: TurnCommand): Promise<StoredExchange | undefined> {
    return this.replies.insertTurn(command);
  }

  /**
   * Starts an attempt: marks the reply generating, opens its stream with `reset` and reads its context. Undefined
   * when the reply is no longer open (cancelled, deleted or already final): there is nothing to generate.
   */
  async claim(replyId: string, charBudget: number): Promise<ClaimedGeneration | undefined> {
    const claimed = await this.replies.claim(replyId);
    if (!claimed) return undefined;
    const [open, context] = await Promise.all([
      this.channel.reset(replyId),
      this.replies.context(claimed, charBudget),
    ]);
    return open ? { ...claimed, context } : undefined;
  }

  /** Streams a piece of text; false when the reply was cancelled meanwhile, so generation should stop. */
  recordDelta(replyId: string, text: string): Promise<boolean> {
    return this.channel.delta(replyId, text);
  }

  /**
   * Undefined when the reply was no longer generating (cancelled, deleted or settled by someone else). A `title`
   * is given to the chatroom with the reply if it still has its default title, and its stream then says so; its
   * cost is counted as system usage either way.
   */
  async complete(
    replyId: string,
    text: string,
    completion: ReplyCompletion,
    title?: GeneratedTitle,
  ): Promise<Message | undefined> {
    return this.settle(replyId, [MessageStatus.Generating], {
      status: MessageStatus.Completed,
      content: text,
      ...completion,
      title: title?.title,
      systemTokens: title?.tokens,
    });
  }

  /** Fails an open reply, keeping any partial text; a no-op (undefined) when it is already final. */
  async fail(
    replyId: string,
    failure: ReplyFailure,
    partial: { text?: string; model?: string } = {},
  ): Promise<Message | undefined> {
    const failed = await this.settle(replyId, OPEN_REPLY_STATUSES, {
      status: MessageStatus.Failed,
      content: partial.text ?? '',
      model: partial.model,
      errorCode: failure.code.slice(0, ERROR_CODE_MAX),
      errorMessage: failure.message.slice(0, ERROR_MESSAGE_MAX),
    });
    if (failed) this.logger.warn({ replyId, code: failure.code }, `Reply failed: ${failure.message}`);
    return failed;
  }

  /**
   * Cancels an open reply. The stream is sealed first, so the text it returns is exactly what clients saw and
   * what the cancelled reply keeps; then the worker is told to stop. Undefined when the reply was already final.
   */
  async cancel(replyId: string): Promise<Message | undefined> {
    const { text } = await this.channel.seal(replyId);
    const cancelled = await this.settle(replyId, OPEN_REPLY_STATUSES, {
      status: MessageStatus.Cancelled,
      content: text,
    });
    if (cancelled) await this.stopWorkers([replyId]);
    return cancelled;
  }

  /** Ends the streams of replies whose rows are gone with their chatroom, and stops their generation. */
  async abandon(replyIds: string[]): Promise<void> {
    await Promise.all(
      replyIds.map((replyId) =>
        this.channel.error(
          replyId,
          ReplyErrorCode.ChatroomDeleted,
          'The chatroom was deleted while this reply was open',
        ),
      ),
    );
    await this.stopWorkers(replyIds);
  }

  private async settle(
    replyId: string,
    from: readonly MessageStatus[],
    settlement: ReplySettlement,
  ): Promise<Message | undefined> {
    const settled = await this.replies.settle(replyId, from, settlement);
    if (!settled) return undefined;
    await this.endStream(settled.reply, settled.generatedTitle);
    if (settled.generatedTitle) this.forgetChatroomList(settled.reply.userId);
    return settled.reply;
  }

  /**
   * The owner's cached chatroom list shows the old title: delete it, and again a moment later in case a read that
   * started before the title was stored puts the old list back (as the api does after its own writes).
   */
  private forgetChatroomList(userId: string): void {
    const forget = (): void => {
      this.redis.del(this.keys.chatroomList(userId)).catch((error: unknown) => {
        this.logger.warn({ err: error, userId }, 'Could not invalidate the chatroom list after a new title');
      });
    };
    forget();
    setTimeout(forget, SECOND_INVALIDATION_DELAY_MS).unref();
  }

  /** The row is the truth: a stream that cannot be ended now is ended by readers from the row (see ReplyEventHub). */
  private async endStream(reply: Message, generatedTitle: string | undefined): Promise<void> {
    try {
      await this.channel.final(reply, generatedTitle);
    } catch (error) {
      this.logger.warn({ err: error, replyId: reply.id }, 'Could not write the final stream entry');
    }
  }

  private async stopWorkers(replyIds: string[]): Promise<void> {
    try {
      await Promise.all(
        replyIds.map((replyId) => this.redis.publish(this.keys.replyCancelChannel(), replyId)),
      );
    } catch (error) {
      // The worker also stops at its next delta (the stream is sealed) and its final write finds the reply settled.
      this.logger.warn({ err: error, replyIds }, 'Could not ask workers to stop');
    }
  }
}
