import { APP_CONFIG, AppConfig } from '@app/config';
import { Message, MessageRole } from '@app/database';
import { enqueueReply, QueueName } from '@app/queue';
import { isFinalStatus, ReplyLifecycle, StoredExchange, TurnPlacement } from '@app/replies';
import { InjectQueue } from '@nestjs/bullmq';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { QueryFailedError, Repository } from 'typeorm';
import { ChatroomListCache } from '../chatrooms/chatroom-list.cache';
import { ErrorCode, ProblemException } from '../common/problem';
import { QuotaReservation } from '../quota/prompt-quota.service';
import { chatroomNotFound, TurnAdmission, TurnApplicant, TurnCharge } from '../usage/turn-admission';
import { MessageResponse, SentMessageResponse } from './dto/message.dto';
import { MessagesService } from './messages.service';
import { ReplyEventHub } from './reply-event-hub';
import { StreamLease, StreamLeases } from './stream-leases';

const UNIQUE_VIOLATION = '23505';

export interface AddTurnCommand {
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

export interface AddTurnOutcome {
  body: SentMessageResponse;
  /** True when the reply is final (only possible with `wait`). */
  final: boolean;
  /** Present when this request used quota (not on an idempotent replay). */
  quota?: QuotaReservation;
  /** The token budget after this turn (X-TokenBudget-* headers); empty when unlimited or on a replay. */
  budgetHeaders?: Record<string, string>;
}

/** Adding turns to conversations: new prompts, edits and regenerations, with their replays and waits. */
@Injectable()
export class TurnsService {
  private readonly logger = new Logger(TurnsService.name);

  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    @InjectQueue(QueueName.Replies) private readonly queue: Queue,
    private readonly replies: ReplyLifecycle,
    private readonly messageReader: MessagesService,
    private readonly hub: ReplyEventHub,
    private readonly leases: StreamLeases,
    private readonly listCache: ChatroomListCache,
    private readonly admission: TurnAdmission,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores a turn (a prompt and a queued reply, or a regenerated reply), then enqueues the generation. It is charged
   * (daily quota, token budget) only once the request is known to be valid, owned and new, and refunded if the turn
   * is then not stored (the chatroom or message was deleted meanwhile, or the budget had nothing left), so rejected
   * requests and idempotent replays cost nothing. An edit or a regeneration counts as a prompt. A `wait` takes a
   * stream slot first.
   */
  async add(command: AddTurnCommand): Promise<AddTurnOutcome> {
    const applicant = await this.admission.applicant(command.userId, command.chatroomId);
    const lease = command.waitSeconds ? await this.leases.acquire(command.userId) : undefined;
    try {
      const replay = command.idempotencyKey ? await this.findReplay(command) : undefined;
      if (replay) return await this.respond(replay, command, lease);
      await this.assertBuildsOnSomething(command);
      const charge = await this.admission.charge(applicant);
      const stored = await this.store(command, applicant, charge);
      if ('replay' in stored) return await this.respond(stored.replay, command, lease);
      await this.enqueue(command, stored);
      return {
        ...(await this.respond(stored, command, lease)),
        quota: charge.quota,
        budgetHeaders: this.admission.budgetHeaders(applicant, stored.reply.reservedTokens),
      };
    } finally {
      if (lease) await this.leases.release(lease);
    }
  }

  private async store(
    command: AddTurnCommand,
    applicant: TurnApplicant,
    charge: TurnCharge,
  ): Promise<StoredExchange | { replay: StoredExchange }> {
    try {
      const stored = await this.replies.accept({ ...command, usage: charge.usage });
      if (stored) return stored;
    } catch (error) {
      await this.admission.refund(command.userId, charge);
      const replay = isUniqueViolation(error) && command.idempotencyKey && (await this.findReplay(command));
      if (replay) return { replay };
      throw error;
    }
    await this.admission.refund(command.userId, charge);
    // Nothing stored: the budget had nothing left to reserve, or what the turn builds on is gone.
    const refusal = await this.admission.refusal(applicant, charge);
    if (refusal) throw refusal;
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
  private async assertBuildsOnSomething(command: AddTurnCommand): Promise<void> {
    const { placement } = command;
    if (placement.kind === 'continue') return;
    const target = await this.messageReader.get(
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
  private async enqueue(command: AddTurnCommand, stored: StoredExchange): Promise<void> {
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
    command: AddTurnCommand,
    lease: StreamLease | undefined,
  ): Promise<AddTurnOutcome> {
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
  private async findReplay(command: AddTurnCommand): Promise<StoredExchange | undefined> {
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
    command: AddTurnCommand,
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

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
  );
}
