import { APP_CONFIG, AppConfig } from '@app/config';
import { Message, MessageRole } from '@app/database';
import { enqueueReply, QueueName } from '@app/queue';
import { ModelPolicy } from '@app/gemini';
import {
  ConversationTree,
  isFinalStatus,
  ReplyLifecycle,
  StoredExchange,
  TurnPlacement,
  TurnUsage,
} from '@app/replies';
import { MonthAccount, UsageLedger, utcDay, utcMonth } from '@app/usage';
import { InjectQueue } from '@nestjs/bullmq';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { QueryFailedError, Repository } from 'typeorm';
import { ChatroomListCache } from '../chatrooms/chatroom-list.cache';
import { ChatroomsService } from '../chatrooms/chatrooms.service';
import { PageQuery } from '../common/pagination';
import { ErrorCode, ProblemException } from '../common/problem';
import { Clock } from '../quota/clock';
import { PromptQuotaService, QuotaReservation } from '../quota/prompt-quota.service';
import { AccountStanding } from '../usage/account-standing';
import { assertBudgetNotSpent, budgetExceeded, tokenBudgetHeaders } from '../usage/token-budget';
import {
  MessagePageResponse,
  MessageResponse,
  PathMessageResponse,
  SentMessageResponse,
} from './dto/message.dto';
import { decodeMessageCursor, encodeMessageCursor } from './message-cursor';
import { ReplyEventHub } from './reply-event-hub';
import { StreamLease, StreamLeases } from './stream-leases';

const UNIQUE_VIOLATION = '23505';

export interface SendMessageCommand {
  userId: string;
  sessionId: string;
  chatroomId: string;
  /** A new prompt, an edit of one, or a regeneration of a reply. */
  placement: TurnPlacement;
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
  /** The token budget after this turn (X-TokenBudget-* headers); empty when unlimited or on a replay. */
  budgetHeaders?: Record<string, string>;
}

@Injectable()
export class MessagesService {
  private readonly logger = new Logger(MessagesService.name);

  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    @InjectQueue(QueueName.Replies) private readonly queue: Queue,
    private readonly replies: ReplyLifecycle,
    private readonly tree: ConversationTree,
    private readonly hub: ReplyEventHub,
    private readonly leases: StreamLeases,
    private readonly chatrooms: ChatroomsService,
    private readonly listCache: ChatroomListCache,
    private readonly quota: PromptQuotaService,
    private readonly standings: AccountStanding,
    private readonly ledger: UsageLedger,
    private readonly models: ModelPolicy,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores a turn (a prompt and a queued reply, or a regenerated reply), then enqueues the generation. Quota is
   * reserved only after the request is known to be valid, owned and new, and given back if the turn is then not
   * stored (the chatroom or message was deleted meanwhile, or the token budget had nothing left), so rejected
   * requests and idempotent replays cost nothing. An edit or a regeneration is a prompt for quota and budget
   * purposes. The limits are read from PostgreSQL with the ownership check. A `wait` takes a stream slot first.
   */
  async send(command: SendMessageCommand): Promise<SendMessageOutcome> {
    const now = this.clock.now();
    const month = utcMonth(now);
    const standing = await this.standings.inChatroom(command.userId, month, command.chatroomId);
    if (!standing) throw chatroomNotFound(command.chatroomId);
    const lease = command.waitSeconds ? await this.leases.acquire(command.userId) : undefined;
    try {
      const replay = command.idempotencyKey ? await this.findReplay(command) : undefined;
      if (replay) return await this.respond(replay, command, lease);
      await this.assertBuildsOnSomething(command);
      const { monthlyTokens } = standing.limits;
      assertBudgetNotSpent(monthlyTokens, standing.month, now);
      if (monthlyTokens > 0 && !standing.month.exists) await this.ledger.openMonth(command.userId, month);
      const usage: TurnUsage = {
        day: utcDay(now),
        month,
        monthlyLimit: monthlyTokens,
        outputCap: this.models.resolve(standing.tier, standing.chatroom).settings.maxOutputTokens,
      };
      const quota = await this.quota.reserve(command.userId, standing.limits.dailyPrompts);
      const stored = await this.store(command, quota, usage, now);
      if ('replay' in stored) return await this.respond(stored.replay, command, lease);
      await this.enqueue(command, stored);
      const budgetHeaders = tokenBudgetHeaders(monthlyTokens, afterReserving(standing.month, stored), now);
      return { ...(await this.respond(stored, command, lease)), quota, budgetHeaders };
    } finally {
      if (lease) await this.leases.release(lease);
    }
  }

  /** The active branch, newest first, each message with its versions. */
  async list(userId: string, chatroomId: string, page: PageQuery): Promise<MessagePageResponse> {
    await this.chatrooms.get(userId, chatroomId);
    const path = await this.tree.activePath(userId, chatroomId, {
      fromId: page.cursor ? decodeMessageCursor(page.cursor) : undefined,
      limit: page.limit,
    });
    const versions = await this.tree.versionsOf(chatroomId, path.messages);
    return {
      items: path.messages.map((message) => PathMessageResponse.fromPath(message, versions.get(message.id))),
      nextCursor: path.nextId ? encodeMessageCursor(path.nextId) : null,
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
    usage: TurnUsage,
    now: Date,
  ): Promise<StoredExchange | { replay: StoredExchange }> {
    try {
      const stored = await this.replies.accept({ ...command, usage });
      if (stored) return stored;
    } catch (error) {
      await this.quota.release(command.userId, quota.day);
      const replay = isUniqueViolation(error) && command.idempotencyKey && (await this.findReplay(command));
      if (replay) return { replay };
      throw error;
    }
    await this.quota.release(command.userId, quota.day);
    // Nothing stored: the budget had nothing left to reserve, or what the turn builds on is gone.
    if (usage.monthlyLimit > 0) {
      const account = await this.ledger.month(command.userId, usage.month);
      if (account.usedTokens + account.reservedTokens >= usage.monthlyLimit) {
        throw budgetExceeded(usage.monthlyLimit, account, now);
      }
    }
    const { placement } = command;
    if (placement.kind === 'continue') throw chatroomNotFound(command.chatroomId);
    throw new ProblemException(
      HttpStatus.NOT_FOUND,
      ErrorCode.NotFound,
      `Message ${placement.kind === 'edit' ? placement.promptId : placement.replyId} not found`,
    );
  }

  /**
   * An edit needs a prompt and a regeneration a final reply, of this chatroom: checked before any quota is used
   * (the insert checks again, under the chatroom's lock).
   */
  private async assertBuildsOnSomething(command: SendMessageCommand): Promise<void> {
    const { placement } = command;
    if (placement.kind === 'continue') return;
    const target = await this.get(
      command.userId,
      command.chatroomId,
      placement.kind === 'edit' ? placement.promptId : placement.replyId,
    );
    if (placement.kind === 'edit' && target.role !== MessageRole.User) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.NotAPrompt,
        'Only prompts can be edited; to get another reply, regenerate the reply',
      );
    }
    if (placement.kind === 'regenerate' && target.role !== MessageRole.Model) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.NotAReply,
        'Only replies can be regenerated; to change a prompt, edit it',
      );
    }
    if (placement.kind === 'regenerate' && !isFinalStatus(target.status)) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.ReplyNotFinal,
        `The reply is still ${target.status}; wait for it to end (or cancel it) before regenerating it`,
      );
    }
  }

  /**
   * The turn is stored: if the queue cannot take its job now (Redis just failed), it stays queued and the worker's
   * reconciler enqueues it once Redis is back, so the answer is still 202. Undoing the turn instead could take
   * with it a prompt sent meanwhile that follows this reply.
   */
  private async enqueue(command: SendMessageCommand, stored: StoredExchange): Promise<void> {
    await Promise.all([
      enqueueReply(this.queue, stored.reply.id, {
        attempts: this.config.gemini.maxAttempts,
        requestId: command.requestId,
      }).catch((error: unknown) =>
        this.logger.error(
          { err: error, replyId: stored.reply.id },
          'Could not enqueue a stored reply; the reconciler will enqueue it',
        ),
      ),
      this.listCache.invalidate(command.userId),
    ]);
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

  /**
   * The turn an earlier request with this Idempotency-Key stored, if any. The key names one turn: reused for a
   * different prompt, chatroom or kind of turn, it is refused (422).
   */
  private async findReplay(command: SendMessageCommand): Promise<StoredExchange | undefined> {
    const keyed = await this.messages.findOne({
      where: { userId: command.userId, idempotencyKey: command.idempotencyKey },
    });
    if (!keyed) return undefined;
    const exchange =
      keyed.role === MessageRole.User ? await this.withFirstReply(keyed) : await this.withPrompt(keyed);
    if (!exchange || !(await this.isSameTurn(command, exchange, keyed))) {
      throw new ProblemException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.IdempotencyKeyReused,
        'This Idempotency-Key was already used for a different message; use a new key for a new message',
      );
    }
    return exchange;
  }

  private async isSameTurn(
    command: SendMessageCommand,
    exchange: StoredExchange,
    keyed: Message,
  ): Promise<boolean> {
    const { placement } = command;
    if (keyed.chatroomId !== command.chatroomId) return false;
    switch (placement.kind) {
      case 'continue':
        return keyed.role === MessageRole.User && keyed.content === placement.content;
      case 'edit': {
        if (keyed.role !== MessageRole.User || keyed.content !== placement.content) return false;
        const edited = await this.messages.findOne({
          where: { id: placement.promptId, userId: command.userId },
        });
        return edited !== null && edited.parentId === keyed.parentId;
      }
      case 'regenerate': {
        if (keyed.role !== MessageRole.Model) return false;
        const regenerated = await this.messages.findOne({
          where: { id: placement.replyId, userId: command.userId },
        });
        return regenerated !== null && regenerated.parentId === exchange.prompt.id;
      }
    }
  }

  /** A prompt and the reply stored with it (its first). */
  private async withFirstReply(prompt: Message): Promise<StoredExchange | undefined> {
    const reply = await this.messages.findOne({
      where: { parentId: prompt.id, userId: prompt.userId, role: MessageRole.Model },
      order: { seq: 'ASC' },
    });
    return reply ? { prompt, reply } : undefined;
  }

  /** A reply and the prompt it answers. */
  private async withPrompt(reply: Message): Promise<StoredExchange | undefined> {
    const prompt = reply.parentId
      ? await this.messages.findOne({ where: { id: reply.parentId, userId: reply.userId } })
      : null;
    return prompt ? { prompt, reply } : undefined;
  }
}

/** The month's account once the stored reply's reservation is counted. */
function afterReserving(account: MonthAccount, stored: StoredExchange): MonthAccount {
  return { ...account, reservedTokens: account.reservedTokens + (stored.reply.reservedTokens ?? 0) };
}

const chatroomNotFound = (chatroomId: string): ProblemException =>
  new ProblemException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `Chatroom ${chatroomId} not found`);

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
  );
}
