import { TierName } from '@app/config';
import { Message, MessageRole, MessageStatus, returnedRows, TitleSource } from '@app/database';
import { ChatroomGenerationSettings } from '@app/gemini';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ReplyContext } from './reply-context';
import { OPEN_REPLY_STATUSES } from './reply-status';

/** At most this many earlier exchanges are read as context, whatever the character budget. */
export const MAX_CONTEXT_EXCHANGES = 100;

export interface StoredExchange {
  prompt: Message;
  reply: Message;
}

/** Where a new turn goes in the conversation tree. */
export type TurnPlacement =
  /** A new prompt after the chatroom's active branch. */
  | { kind: 'continue'; content: string }
  /** A new version of a prompt: a sibling of it, with a reply of its own, on a new branch. */
  | { kind: 'edit'; promptId: string; content: string }
  /** A new version of a reply: a sibling of it, answering the same prompt. */
  | { kind: 'regenerate'; replyId: string };

export interface TurnCommand {
  userId: string;
  chatroomId: string;
  placement: TurnPlacement;
  idempotencyKey?: string;
  /** How the turn is counted: the ledger's day and month (`YYYY-MM-DD`), and the token budget it falls under. */
  usage: TurnUsage;
}

export interface TurnUsage {
  day: string;
  /** The month's first day. */
  month: string;
  /** The user's monthly token budget; 0 = unlimited (nothing is reserved). */
  monthlyLimit: number;
  /** The reply's output cap: what it reserves of the budget, at most. */
  outputCap: number;
}

/** What a worker needs to generate a claimed reply: its prompt, where its context starts, and how to generate it. */
export interface ClaimedReply {
  chatroomId: string;
  userId: string;
  attempts: number;
  /** The tokens of the month's budget the reply reserved when accepted (its output cap); null without a budget. */
  reservedTokens: number | null;
  prompt: string;
  /** The reply the prompt follows; its context is read from there up the tree. Null for a first prompt. */
  promptParentId: string | null;
  ownerTier: TierName;
  settings: ChatroomGenerationSettings;
  /** The chatroom still has its default title, so completing this reply may give it one. */
  wantsTitle: boolean;
}

/** What a reply's final state stores; the rest of the row keeps what it had. */
export interface ReplySettlement {
  status: MessageStatus;
  content: string;
  model?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  finishReason?: string | null;
  truncated?: boolean;
  promptTokens?: number | null;
  outputTokens?: number | null;
  thinkingTokens?: number | null;
  totalTokens?: number | null;
  /** Tokens spent for the user by the system with this reply (its chatroom's title): in the ledger, not the budget. */
  systemTokens?: number;
  /** A generated title for the chatroom, stored with the reply if the chatroom still has its default title. */
  title?: string;
}

type MessageRow = Record<string, unknown>;

/** The SQL of the reply lifecycle. Every state change is conditional on the current state, in one statement. */
@Injectable()
export class ReplyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores a turn, in one statement: a prompt and its queued reply (continue, edit), or a queued reply alone
   * (regenerate), numbered as the chatroom's next messages and made its active branch; the prompt is counted in the
   * user's ledger for `usage.day`. The chatroom's row is locked first, so concurrent turns get distinct positions and
   * each one's parent is the leaf as the previous turn left it. Under a token budget (`usage.monthlyLimit` > 0, the
   * month's ledger row existing) the reply reserves its output cap, at most what is left of the month's budget; with
   * nothing left it is not stored. Undefined when nothing was stored: the chatroom (or the edited or regenerated
   * message) is not the user's or is gone, or the budget had nothing left.
   */
  async insertTurn(command: TurnCommand): Promise<StoredExchange | undefined> {
    const { placement, usage } = command;
    const promptId = randomUUID();
    const replyId = randomUUID();
    const baseId =
      placement.kind === 'edit'
        ? placement.promptId
        : placement.kind === 'regenerate'
          ? placement.replyId
          : null;
    const rows = await this.dataSource.query<MessageRow[]>(
      `WITH base AS (
         SELECT parent_id, role FROM messages WHERE id = $7 AND chatroom_id = $1 AND user_id = $2
       ), previous AS (
         SELECT id, active_leaf_id FROM chatrooms WHERE id = $1 AND user_id = $2 FOR UPDATE
       ), budget AS (
         SELECT least($9::bigint, greatest(0, $8::bigint - used_tokens - reserved_tokens)) AS tokens
         FROM usage_months WHERE user_id = $2 AND month = $11::date AND $8::bigint > 0
         FOR UPDATE
       ), room AS (
         UPDATE chatrooms AS room
         SET last_message_seq = room.last_message_seq + CASE WHEN $12 = 'regenerate' THEN 1 ELSE 2 END,
             active_leaf_id = $4, last_activity_at = now(), updated_at = now()
         FROM previous
         WHERE room.id = previous.id
           AND CASE $12
                 WHEN 'continue' THEN true
                 WHEN 'edit' THEN EXISTS (SELECT 1 FROM base WHERE role = 'user')
                 ELSE EXISTS (SELECT 1 FROM base WHERE role = 'model')
               END
           AND ($8::bigint = 0 OR EXISTS (SELECT 1 FROM budget WHERE tokens > 0))
         RETURNING room.last_message_seq,
                   CASE WHEN $12 = 'continue' THEN previous.active_leaf_id ELSE (SELECT parent_id FROM base) END
                     AS parent_id
       ), reserved AS (
         UPDATE usage_months SET reserved_tokens = reserved_tokens + (SELECT tokens FROM budget)
         WHERE user_id = $2 AND month = $11::date AND EXISTS (SELECT 1 FROM room) AND EXISTS (SELECT 1 FROM budget)
         RETURNING 1
       ), prompt AS (
         INSERT INTO messages (id, chatroom_id, user_id, seq, parent_id, role, content, status, idempotency_key,
                               completed_at)
         SELECT $3, $1, $2, last_message_seq - 1, parent_id, 'user', $5, 'completed', $6, now() FROM room
         WHERE $12 <> 'regenerate'
         RETURNING *
       ), reply AS (
         INSERT INTO messages (id, chatroom_id, user_id, seq, parent_id, role, content, status, idempotency_key,
                               reserved_tokens, usage_day)
         SELECT $4, $1, $2, last_message_seq, CASE WHEN $12 = 'regenerate' THEN parent_id ELSE $3 END, 'model', '',
                'queued', CASE WHEN $12 = 'regenerate' THEN $6 END, (SELECT tokens FROM budget), $10::date
         FROM room
         RETURNING *
       ), counted AS (
         -- After the month's row (reserved): every writer of the ledger locks it before its day's row.
         INSERT INTO usage_days AS ledger (user_id, day, prompts)
         SELECT $2, $10::date, 1 FROM room WHERE NOT EXISTS (SELECT 1 FROM budget) OR EXISTS (SELECT 1 FROM reserved)
         ON CONFLICT (user_id, day) DO UPDATE SET prompts = ledger.prompts + 1
       )
       SELECT * FROM prompt
       UNION ALL SELECT * FROM reply
       UNION ALL SELECT * FROM messages WHERE $12 = 'regenerate' AND id = (SELECT parent_id FROM reply)`,
      [
        command.chatroomId,
        command.userId,
        promptId,
        replyId,
        placement.kind === 'regenerate' ? null : placement.content,
        command.idempotencyKey ?? null,
        baseId,
        usage.monthlyLimit,
        usage.outputCap,
        usage.day,
        usage.month,
        placement.kind,
      ],
    );
    const messages = rows.map(toMessage);
    const reply = messages.find((message) => message.id === replyId);
    const prompt = messages.find((message) => message.id !== replyId);
    return prompt && reply ? { prompt, reply } : undefined;
  }

  /**
   * Marks an open reply generating (one more attempt) and returns what generating it needs; undefined when it is
   * not open.
   */
  async claim(replyId: string): Promise<ClaimedReply | undefined> {
    const rows = returnedRows<MessageRow>(
      await this.dataSource.query(
        `UPDATE messages AS reply
         SET status = 'generating', content = '', attempts = reply.attempts + 1, updated_at = now()
         FROM messages AS prompt, chatrooms AS room, users AS owner
         WHERE reply.id = $1 AND reply.role = 'model' AND reply.status = ANY($2::message_status[])
           AND prompt.id = reply.parent_id AND room.id = reply.chatroom_id AND owner.id = room.user_id
         RETURNING reply.chatroom_id, reply.user_id, reply.attempts, reply.reserved_tokens, prompt.content AS prompt,
                   prompt.parent_id AS prompt_parent_id, owner.tier, room.system_instruction, room.model,
                   room.temperature, room.max_output_tokens, room.title_source`,
        [replyId, OPEN_REPLY_STATUSES],
      ),
    );
    const row = rows[0];
    return (
      row && {
        chatroomId: row.chatroom_id as string,
        userId: row.user_id as string,
        attempts: row.attempts as number,
        reservedTokens: row.reserved_tokens as number | null,
        prompt: row.prompt as string,
        promptParentId: row.prompt_parent_id as string | null,
        ownerTier: row.tier as TierName,
        settings: {
          systemInstruction: row.system_instruction as string | null,
          model: row.model as string | null,
          temperature: row.temperature as number | null,
          maxOutputTokens: row.max_output_tokens as number | null,
        },
        wantsTitle: row.title_source === TitleSource.Default,
      }
    );
  }

  /**
   * A reply's context: the completed exchanges among its own ancestors, newest first until the character budget
   * or MAX_CONTEXT_EXCHANGES is reached, returned oldest first. The walk up the tree is one primary-key lookup per
   * message and stops once the budget is spent, so it reads no more than it sends, whatever the chatroom's size. An
   * exchange counts only when its reply completed with text; a failed, cancelled or still open one is left out.
   */
  async context(claimed: ClaimedReply, charBudget: number): Promise<ReplyContext> {
    const historyBudget = Math.max(0, charBudget - claimed.prompt.length);
    const path = await this.dataSource.query<{ role: MessageRole; content: string; used: number }[]>(
      `WITH RECURSIVE path AS (
         SELECT id, parent_id, role, content, 1 AS depth,
                (status = 'completed' AND content <> '') AS counted,
                CASE WHEN status = 'completed' AND content <> '' THEN char_length(content) ELSE 0 END AS used
         FROM messages WHERE id = $1
         UNION ALL
         SELECT message.id, message.parent_id, message.role, message.content, path.depth + 1,
                CASE WHEN message.role = 'model' THEN message.status = 'completed' AND message.content <> ''
                     ELSE path.role = 'model' AND path.counted END,
                path.used + CASE
                  WHEN message.role = 'model' AND message.status = 'completed' AND message.content <> ''
                    THEN char_length(message.content)
                  WHEN message.role = 'user' AND path.role = 'model' AND path.counted
                    THEN char_length(message.content)
                  ELSE 0 END
         FROM messages AS message JOIN path ON message.id = path.parent_id
         WHERE path.depth < $2 AND path.used <= $3
       )
       SELECT role, content, used FROM path WHERE counted ORDER BY depth`,
      [claimed.promptParentId, 2 * MAX_CONTEXT_EXCHANGES, historyBudget],
    );
    const exchanges: ReplyContext['exchanges'] = [];
    // Newest first: each counted reply is followed by its prompt.
    for (let index = 0; index + 1 < path.length; index += 2) {
      const [reply, prompt] = [path[index], path[index + 1]];
      if (reply.role !== MessageRole.Model || prompt.role !== MessageRole.User || prompt.used > historyBudget)
        break;
      exchanges.unshift({ prompt: prompt.content, reply: reply.content });
    }
    return { exchanges, prompt: claimed.prompt.slice(-charBudget) };
  }

  /**
   * Moves a reply from one of `from` to its final state; returns the stored row, or undefined if it was not in
   * `from`. In the same statement, so that a reply is counted exactly once, however often its job runs: the ledger
   * counts its outcome and tokens on the day it was accepted, and its month gets the tokens used and its reservation
   * back. A `title` is stored on the chatroom too, if it still has its default title; the row then carries it as
   * `generatedTitle`.
   */
  async settle(
    replyId: string,
    from: readonly MessageStatus[],
    settlement: ReplySettlement,
  ): Promise<{ reply: Message; generatedTitle?: string } | undefined> {
    const rows = await this.dataSource.query<MessageRow[]>(
      `WITH settled AS (
         UPDATE messages
         SET status = $2, content = $3, error_code = $4, error_message = $5, finish_reason = $6, truncated = $7,
             prompt_tokens = $8, output_tokens = $9, total_tokens = $10, model = coalesce($12, model),
             thinking_tokens = $14, usage_day = coalesce(usage_day, (now() AT TIME ZONE 'UTC')::date),
             completed_at = now(), updated_at = now()
         WHERE id = $1 AND status = ANY($11::message_status[])
         RETURNING *
       ), titled AS (
         UPDATE chatrooms SET title = $13, title_source = 'generated', updated_at = now()
         FROM settled
         WHERE $13::text IS NOT NULL AND chatrooms.id = settled.chatroom_id AND chatrooms.title_source = 'default'
         RETURNING chatrooms.title
       ), month_account AS (
         INSERT INTO usage_months AS account (user_id, month, used_tokens)
         SELECT user_id, date_trunc('month', usage_day)::date,
                coalesce(prompt_tokens, 0) + coalesce(output_tokens, 0) + coalesce(thinking_tokens, 0)
         FROM settled
         ON CONFLICT (user_id, month) DO UPDATE
         SET used_tokens = account.used_tokens + excluded.used_tokens,
             reserved_tokens = greatest(0, account.reserved_tokens - (SELECT coalesce(reserved_tokens, 0) FROM settled))
         RETURNING 1
       ), day_ledger AS (
         -- After the month's row (month_account): every writer of the ledger locks it before its day's row.
         INSERT INTO usage_days AS ledger (user_id, day, replies_completed, replies_failed, replies_cancelled,
                                           prompt_tokens, output_tokens, thinking_tokens, system_tokens)
         SELECT user_id, usage_day, (status = 'completed')::int, (status = 'failed')::int, (status = 'cancelled')::int,
                coalesce(prompt_tokens, 0), coalesce(output_tokens, 0), coalesce(thinking_tokens, 0), $15
         FROM settled WHERE EXISTS (SELECT 1 FROM month_account)
         ON CONFLICT (user_id, day) DO UPDATE
         SET replies_completed = ledger.replies_completed + excluded.replies_completed,
             replies_failed = ledger.replies_failed + excluded.replies_failed,
             replies_cancelled = ledger.replies_cancelled + excluded.replies_cancelled,
             prompt_tokens = ledger.prompt_tokens + excluded.prompt_tokens,
             output_tokens = ledger.output_tokens + excluded.output_tokens,
             thinking_tokens = ledger.thinking_tokens + excluded.thinking_tokens,
             system_tokens = ledger.system_tokens + excluded.system_tokens
       )
       SELECT settled.*, (SELECT title FROM titled) AS generated_title FROM settled`,
      [
        replyId,
        settlement.status,
        settlement.content,
        settlement.errorCode ?? null,
        settlement.errorMessage ?? null,
        settlement.finishReason ?? null,
        settlement.truncated ?? false,
        settlement.promptTokens ?? null,
        settlement.outputTokens ?? null,
        settlement.totalTokens ?? null,
        from,
        settlement.model ?? null,
        settlement.title ?? null,
        settlement.thinkingTokens ?? null,
        settlement.systemTokens ?? 0,
      ],
    );
    const [row] = rows;
    if (!row) return undefined;
    const generatedTitle = row.generated_title as string | null;
    return { reply: toMessage(row), ...(generatedTitle ? { generatedTitle } : {}) };
  }

  async findReply(replyId: string): Promise<Message | undefined> {
    const rows = await this.dataSource.query<MessageRow[]>(
      `SELECT * FROM messages WHERE id = $1 AND role = 'model'`,
      [replyId],
    );
    return rows[0] && toMessage(rows[0]);
  }

  /** The rows of these replies that still exist (one query for any number of watched replies). */
  async findMany(replyIds: string[]): Promise<Message[]> {
    const rows = await this.dataSource.query<MessageRow[]>(
      `SELECT * FROM messages WHERE id = ANY($1::uuid[])`,
      [replyIds],
    );
    return rows.map(toMessage);
  }

  /** Replies that have been in `status` for longer than `olderThanSeconds`, oldest first. */
  async stale(
    status: MessageStatus,
    olderThanSeconds: number,
    limit: number,
  ): Promise<{ id: string; attempts: number }[]> {
    return this.dataSource.query(
      `SELECT id, attempts FROM messages
       WHERE role = 'model' AND status = $1 AND updated_at < now() - make_interval(secs => $2)
       ORDER BY updated_at LIMIT $3`,
      [status, olderThanSeconds, limit],
    );
  }
}

/** Maps a raw `messages` row (snake_case) to the entity. */
export function toMessage(row: MessageRow): Message {
  const message = new Message();
  Object.assign(message, {
    id: row.id,
    chatroomId: row.chatroom_id,
    seq: row.seq,
    userId: row.user_id,
    role: row.role as MessageRole,
    content: row.content,
    status: row.status as MessageStatus,
    parentId: row.parent_id,
    copiedFromId: row.copied_from_id,
    idempotencyKey: row.idempotency_key,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    finishReason: row.finish_reason,
    truncated: row.truncated,
    promptTokens: row.prompt_tokens,
    outputTokens: row.output_tokens,
    thinkingTokens: row.thinking_tokens,
    totalTokens: row.total_tokens,
    reservedTokens: row.reserved_tokens,
    attempts: row.attempts,
    model: row.model,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  });
  return message;
}
