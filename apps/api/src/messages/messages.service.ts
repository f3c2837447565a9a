import { APP_CONFIG, AppConfig } from '@app/config';
import { Message, MessageRole } from '@app/database';
import { enqueueReply, QueueName } from '@app/queue';
import { isFinalStatus, ReplyLifecycle, StoredExchange } from '@app/replies';
import { InjectQueue } from '@nestjs/bullmq';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { In, QueryFailedError, Repository } from 'typeorm';
import { ChatroomListCache } from '../chatrooms/chatroom-list.cache';
import { ChatroomsService } from '../chatrooms/chatrooms.service';
import { PageQuery } from '../common/pagination';
import { ErrorCode, ProblemException } from '../common/problem';
import { PromptQuotaService, QuotaReservation } from '../quota/prompt-quota.service';
import { MessagePageResponse, MessageResponse, SentMessageResponse } from './dto/message.dto';
import { decodeSeqCursor, encodeSeqCursor } from './message-cursor';
import { ReplyEventHub } from './reply-event-hub';
import { StreamLease, StreamLeases } from './stream-leases';

const UNIQUE_VIOLATION = '23505';

export interface SendMessageCommand {
  userId: string;
  sessionId: string;
  chatroomId: string;
  content: string;
  idempotencyKey?: string;
  waitSeconds?: number;
  requestId?: string;
  /** Aborts when the client goes away, so a `wait` frees its slot at once. */
  clientGone?: AbortSignal;
}

export interface SendMessageOutcome {
  body: SentMessageResponse;
  /** True when the reply is final (only possible with `wait`). */
  final: boolean;
  /** Present when this request used quota (not on an idempotent replay). */
  quota?: QuotaReservation;
}

@Injectable()
export class MessagesService {
  private readonly logger = new Logger(MessagesService.name);

  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    @InjectQueue(QueueName.Replies) private readonly queue: Queue,
    private readonly replies: ReplyLifecycle,
    private readonly hub: ReplyEventHub,
    private readonly leases: StreamLeases,
    private readonly chatrooms: ChatroomsService,
    private readonly listCache: ChatroomListCache,
    private readonly quota: PromptQuotaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores the prompt and a queued reply, then enqueues the generation. Quota is reserved only after the request is
   * known to be valid, owned and new, and given back if the prompt is then not stored (the chatroom was deleted
   * meanwhile), so rejected requests and idempotent replays cost nothing. A `wait` takes a stream slot first.
   */
  async send(command: SendMessageCommand): Promise<SendMessageOutcome> {
    const tier = await this.chatrooms.ownerTier(command.userId, command.chatroomId);
    const lease = command.waitSeconds ? await this.leases.acquire(command.userId) : undefined;
    try {
      const replay = command.idempotencyKey ? await this.findReplay(command) : undefined;
      if (replay) return await this.respond(replay, command, lease);
      const quota = await this.quota.reserve(command.userId, tier);
      const stored = await this.store(command, quota);
      if ('replay' in stored) return await this.respond(stored.replay, command, lease);
      await this.enqueue(command, stored, quota);
      return { ...(await this.respond(stored, command, lease)), quota };
    } finally {
      if (lease) await this.leases.release(lease);
    }
  }

  /** Newest first, by position in the chatroom. */
  async list(userId: string, chatroomId: string, page: PageQuery): Promise<MessagePageResponse> {
    await this.chatrooms.get(userId, chatroomId);
    const query = this.messages
      .createQueryBuilder('message')
      .where('message.chatroom_id = :chatroomId AND message.user_id = :userId', { chatroomId, userId })
      .orderBy('message.seq', 'DESC')
      .take(page.limit + 1);
    if (page.cursor) query.andWhere('message.seq < :before', { before: decodeSeqCursor(page.cursor) });
    const rows = await query.getMany();
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items: items.map((message) => MessageResponse.from(message)),
      nextCursor: rows.length > page.limit && last ? encodeSeqCursor(last.seq) : null,
    };
  }

  async get(userId: string, chatroomId: string, messageId: string): Promise<Message> {
    const message = await this.messages.findOne({ where: { id: messageId, chatroomId, userId } });
    if (!message) {
      throw new ProblemException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `Message ${messageId} not found`);
    }
    return message;
  }

  /** Stops an open reply; it keeps, and its stream ends with, the text streamed so far. */
  async cancel(userId: string, chatroomId: string, messageId: string): Promise<Message> {
    const message = await this.get(userId, chatroomId, messageId);
    if (message.role !== MessageRole.Model) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.ReplyAlreadyFinal,
        'Only replies can be cancelled',
      );
    }
    const cancelled = isFinalStatus(message.status) ? undefined : await this.replies.cancel(messageId);
    if (!cancelled) {
      const current = await this.get(userId, chatroomId, messageId);
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.ReplyAlreadyFinal,
        `The reply is already ${current.status}; only queued or generating replies can be cancelled`,
      );
    }
    return cancelled;
  }

  /** Takes a stream slot for an SSE stream of one of the user's replies (404 first when it is not theirs). */
  async openStream(
    userId: string,
    chatroomId: string,
    messageId: string,
  ): Promise<{ reply: Message; lease: StreamLease }> {
    const reply = await this.get(userId, chatroomId, messageId);
    return { reply, lease: await this.leases.acquire(userId) };
  }

  private async store(
    command: SendMessageCommand,
    quota: QuotaReservation,
  ): Promise<StoredExchange | { replay: StoredExchange }> {
    try {
      const stored = await this.replies.accept(command);
      if (stored) return stored;
    } catch (error) {
      await this.quota.release(command.userId, quota.day);
      const replay = isUniqueViolation(error) && command.idempotencyKey && (await this.findReplay(command));
      if (replay) return { replay };
      throw error;
    }
    await this.quota.release(command.userId, quota.day);
    throw new ProblemException(
      HttpStatus.NOT_FOUND,
      ErrorCode.NotFound,
      `Chatroom ${command.chatroomId} not found`,
    );
  }

  private async enqueue(
    command: SendMessageCommand,
    stored: StoredExchange,
    quota: QuotaReservation,
  ): Promise<void> {
    try {
      await Promise.all([
        enqueueReply(this.queue, stored.reply.id, {
          attempts: this.config.gemini.maxAttempts,
          requestId: command.requestId,
        }),
        this.listCache.invalidate(command.userId),
      ]);
    } catch (error) {
      await this.messages.delete({ id: In([stored.prompt.id, stored.reply.id]) });
      await this.quota.release(command.userId, quota.day);
      await this.listCache.invalidate(command.userId);
      this.logger.error(
        { err: error, replyId: stored.reply.id },
        'Could not enqueue a reply; the prompt was undone',
      );
      throw new ProblemException(
        HttpStatus.SERVICE_UNAVAILABLE,
        ErrorCode.ServiceUnavailable,
        'The reply queue is unavailable; your message was not stored. Retry shortly.',
        { headers: { 'Retry-After': '5' } },
      );
    }
  }

  private async respond(
    { prompt, reply }: StoredExchange,
    command: SendMessageCommand,
    lease: StreamLease | undefined,
  ): Promise<SendMessageOutcome> {
    let current = reply;
    if (lease && command.waitSeconds && !isFinalStatus(reply.status)) {
      const signals = [AbortSignal.timeout(command.waitSeconds * 1000)];
      if (command.clientGone) signals.push(command.clientGone);
      current = await this.hub.waitForFinal(reply, command.sessionId, AbortSignal.any(signals));
    }
    return {
      body: { message: MessageResponse.from(prompt), reply: MessageResponse.from(current) },
      final: isFinalStatus(current.status),
    };
  }

  private async findReplay(command: SendMessageCommand): Promise<StoredExchange | undefined> {
    const prompt = await this.messages.findOne({
      where: { userId: command.userId, idempotencyKey: command.idempotencyKey },
    });
    if (!prompt) return undefined;
    if (prompt.chatroomId !== command.chatroomId || prompt.content !== command.content) {
      throw new ProblemException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.IdempotencyKeyReused,
        'This Idempotency-Key was already used for a different message; use a new key for a new message',
      );
    }
    const reply = await this.messages.findOne({ where: { replyToId: prompt.id, userId: command.userId } });
    return reply ? { prompt, reply } : undefined;
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
  );
}
