import { APP_CONFIG, AppConfig } from '@app/config';
import { FINAL_MESSAGE_STATUSES, Message, MessageRole, MessageStatus } from '@app/database';
import { enqueueReply, QueueName, RedisKeys, replyJobId } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DataSource, In, QueryFailedError, Repository } from 'typeorm';
import { ChatroomListCache } from '../chatrooms/chatroom-list.cache';
import { ChatroomsService } from '../chatrooms/chatrooms.service';
import { decodeCursor, encodeCursor, PageQuery } from '../common/pagination';
import { ErrorCode, ProblemException } from '../common/problem';
import { PromptQuotaService, QuotaReservation } from '../quota/prompt-quota.service';
import { REDIS } from '../redis/redis.module';
import { MessagePageResponse, MessageResponse, SentMessageResponse } from './dto/message.dto';
import { ReplyStreamReader } from './reply-stream.reader';

const UNIQUE_VIOLATION = '23505';

export interface SendMessageCommand {
  userId: string;
  chatroomId: string;
  content: string;
  idempotencyKey?: string;
  waitSeconds?: number;
  requestId?: string;
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
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.Replies) private readonly queue: Queue,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly chatrooms: ChatroomsService,
    private readonly listCache: ChatroomListCache,
    private readonly quota: PromptQuotaService,
    private readonly replyStream: ReplyStreamReader,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores the prompt and a queued reply, then enqueues the generation. Quota is reserved only after the request is
   * known to be valid, owned and new, so rejected requests and idempotent replays cost nothing.
   */
  async send(command: SendMessageCommand): Promise<SendMessageOutcome> {
    await this.chatrooms.get(command.userId, command.chatroomId);
    if (command.idempotencyKey) {
      const replay = await this.findReplay(command);
      if (replay) return this.respond(replay.prompt, replay.reply, command.waitSeconds);
    }

    const quota = await this.quota.reserve(command.userId);
    let stored: { prompt: Message; reply: Message };
    try {
      stored = await this.store(command);
    } catch (error) {
      await this.quota.release(command.userId, quota.day);
      if (command.idempotencyKey && isUniqueViolation(error)) {
        const replay = await this.findReplay(command);
        if (replay) return this.respond(replay.prompt, replay.reply, command.waitSeconds);
      }
      throw error;
    }
    await this.listCache.invalidate(command.userId);

    try {
      await enqueueReply(this.queue, stored.reply.id, {
        attempts: this.config.gemini.maxAttempts,
        requestId: command.requestId,
      });
    } catch (error) {
      await this.undoStore(command.userId, stored, quota.day);
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
    return { ...(await this.respond(stored.prompt, stored.reply, command.waitSeconds)), quota };
  }

  async list(userId: string, chatroomId: string, page: PageQuery): Promise<MessagePageResponse> {
    await this.chatrooms.get(userId, chatroomId);
    const query = this.messages
      .createQueryBuilder('message')
      .where('message.chatroom_id = :chatroomId AND message.user_id = :userId', { chatroomId, userId })
      .orderBy('message.created_at', 'DESC')
      .addOrderBy('message.id', 'DESC')
      .take(page.limit + 1);
    if (page.cursor) {
      const before = decodeCursor(page.cursor);
      query.andWhere('(message.created_at, message.id) < (:at, :id)', { at: before.at, id: before.id });
    }
    const rows = await query.getMany();
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items: items.map((message) => MessageResponse.from(message)),
      nextCursor: rows.length > page.limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
    };
  }

  async get(userId: string, chatroomId: string, messageId: string): Promise<Message> {
    const message = await this.messages.findOne({ where: { id: messageId, chatroomId, userId } });
    if (!message) {
      throw new ProblemException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `Message ${messageId} not found`);
    }
    return message;
  }

  /** Stops an in-flight reply. The worker aborts the Gemini stream and saves the text received so far. */
  async cancel(userId: string, chatroomId: string, messageId: string): Promise<Message> {
    const message = await this.get(userId, chatroomId, messageId);
    if (message.role !== MessageRole.Model) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.ReplyAlreadyFinal,
        'Only replies can be cancelled',
      );
    }
    const result = await this.messages
      .createQueryBuilder()
      .update(Message)
      .set({
        status: MessageStatus.Cancelled,
        completedAt: () => 'now()',
        errorCode: null,
        errorMessage: null,
      })
      .where({ id: messageId, status: In([MessageStatus.Queued, MessageStatus.Generating]) })
      .execute();
    if (!result.affected) {
      const current = await this.get(userId, chatroomId, messageId);
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.ReplyAlreadyFinal,
        `The reply is already ${current.status}; only queued or generating replies can be cancelled`,
      );
    }
    await this.announceCancellation(messageId);
    return this.get(userId, chatroomId, messageId);
  }

  private async announceCancellation(replyId: string): Promise<void> {
    try {
      await this.redis.publish(this.keys.replyCancelChannel(), replyId);
      await this.redis.xadd(this.keys.replyStream(replyId), '*', 'type', 'final');
      await this.queue.remove(replyJobId(replyId)).catch(() => 0);
    } catch (error) {
      // The row already says cancelled, and the worker re-checks it before and after generating.
      this.logger.warn({ err: error, replyId }, 'Could not broadcast a cancellation');
    }
  }

  private async respond(prompt: Message, reply: Message, waitSeconds?: number): Promise<SendMessageOutcome> {
    const current =
      waitSeconds && !FINAL_MESSAGE_STATUSES.includes(reply.status)
        ? await this.replyStream.waitUntilFinal(reply, waitSeconds * 1000)
        : reply;
    return {
      body: { message: MessageResponse.from(prompt), reply: MessageResponse.from(current) },
      final: FINAL_MESSAGE_STATUSES.includes(current.status),
    };
  }

  /**
   * The prompt, its queued reply and the chatroom's activity time in one statement: as atomic as a transaction, in
   * one round trip instead of five (BEGIN, two INSERTs, an UPDATE, COMMIT) through TypeORM's `save`, which made
   * sending a prompt the api's most expensive path in the pipeline benchmark (docs/benchmarks.md).
   */
  private async store(command: SendMessageCommand): Promise<{ prompt: Message; reply: Message }> {
    const createdAt = new Date();
    const fields = {
      chatroomId: command.chatroomId,
      userId: command.userId,
      errorCode: null,
      errorMessage: null,
      finishReason: null,
      truncated: false,
      promptTokens: null,
      outputTokens: null,
      totalTokens: null,
      attempts: 0,
      model: null,
    };
    const prompt = this.messages.create({
      ...fields,
      id: randomUUID(),
      role: MessageRole.User,
      content: command.content,
      status: MessageStatus.Completed,
      replyToId: null,
      idempotencyKey: command.idempotencyKey ?? null,
      createdAt,
      completedAt: createdAt,
    });
    const reply = this.messages.create({
      ...fields,
      id: randomUUID(),
      role: MessageRole.Model,
      content: '',
      status: MessageStatus.Queued,
      replyToId: prompt.id,
      idempotencyKey: null,
      // One millisecond later, so ordering by time keeps every reply after its prompt.
      createdAt: new Date(createdAt.getTime() + 1),
      completedAt: null,
    });
    const [row] = await this.dataSource.query<{ prompt_updated_at: Date; reply_updated_at: Date }[]>(
      `WITH prompt AS (
         INSERT INTO messages (id, chatroom_id, user_id, role, content, status, idempotency_key, created_at, completed_at)
         VALUES ($1, $3, $4, 'user', $5, 'completed', $6, $7, $7)
         RETURNING updated_at
       ), reply AS (
         INSERT INTO messages (id, chatroom_id, user_id, role, content, status, reply_to_id, created_at)
         VALUES ($2, $3, $4, 'model', '', 'queued', $1, $8)
         RETURNING updated_at
       ), chatroom AS (
         UPDATE chatrooms SET last_activity_at = $8, updated_at = now() WHERE id = $3
       )
       SELECT (SELECT updated_at FROM prompt) AS prompt_updated_at, (SELECT updated_at FROM reply) AS reply_updated_at`,
      [
        prompt.id,
        reply.id,
        command.chatroomId,
        command.userId,
        prompt.content,
        prompt.idempotencyKey,
        createdAt,
        reply.createdAt,
      ],
    );
    prompt.updatedAt = row.prompt_updated_at;
    reply.updatedAt = row.reply_updated_at;
    return { prompt, reply };
  }

  private async undoStore(
    userId: string,
    stored: { prompt: Message; reply: Message },
    day: string,
  ): Promise<void> {
    await this.messages.delete({ id: In([stored.prompt.id, stored.reply.id]) });
    await this.quota.release(userId, day);
    await this.listCache.invalidate(userId);
  }

  private async findReplay(
    command: SendMessageCommand,
  ): Promise<{ prompt: Message; reply: Message } | undefined> {
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
