import { Message, MessageRole, MessageStatus, returnedRows } from '@app/database';
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

export interface ClaimedReply {
  chatroomId: string;
  attempts: number;
  promptSeq: number;
  prompt: string;
}

/** What a reply's final state stores; the rest of the row keeps what it had. */
export interface ReplySettlement {
  status: MessageStatus;
  content: string;
  errorCode?: string | null;
  errorMessage?: string | null;
  finishReason?: string | null;
  truncated?: boolean;
  promptTokens?: number | null;
  outputTokens?: number | null;
  totalTokens?: number | null;
}

type MessageRow = Record<string, unknown>;

/** The SQL of the reply lifecycle. Every state change is conditional on the current state, in one statement. */
@Injectable()
export class ReplyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores a prompt and its queued reply as the chatroom's next two messages. Numbering locks the chatroom's row,
   * so concurrent prompts get distinct, gapless positions, and a chatroom deleted (or not owned) stores nothing:
   * the result is then undefined.
   */
  async insertExchange(command: {
    userId: string;
    chatroomId: string;
    content: string;
    idempotencyKey?: string;
  }): Promise<StoredExchange | undefined> {
    const promptId = randomUUID();
    const replyId = randomUUID();
    const rows = await this.dataSource.query<MessageRow[]>(
      `WITH room AS (
         UPDATE chatrooms SET last_message_seq = last_message_seq + 2, last_activity_at = now(), updated_at = now()
         WHERE id = $1 AND user_id = $2
         RETURNING last_message_seq
       ), prompt AS (
         INSERT INTO messages (id, chatroom_id, user_id, seq, role, content, status, idempotency_key, completed_at)
         SELECT $3, $1, $2, last_message_seq - 1, 'user', $5, 'completed', $6, now() FROM room
         RETURNING *
       ), reply AS (
         INSERT INTO messages (id, chatroom_id, user_id, seq, role, content, status, reply_to_id)
         SELECT $4, $1, $2, last_message_seq, 'model', '', 'queued', $3 FROM room
         RETURNING *
       )
       SELECT * FROM prompt UNION ALL SELECT * FROM reply`,
      [
        command.chatroomId,
        command.userId,
        promptId,
        replyId,
        command.content,
        command.idempotencyKey ?? null,
      ],
    );
    const messages = rows.map(toMessage);
    const prompt = messages.find((message) => message.id === promptId);
    const reply = messages.find((message) => message.id === replyId);
    return prompt && reply ? { prompt, reply } : undefined;
  }

  /** Marks an open reply generating (one more attempt) and returns its prompt; undefined when it is not open. */
  async claim(replyId: string, model: string): Promise<ClaimedReply | undefined> {
    const rows = returnedRows<{ chatroom_id: string; attempts: number; prompt_seq: number; prompt: string }>(
      await this.dataSource.query(
        `UPDATE messages AS reply
       SET status = 'generating', content = '', attempts = reply.attempts + 1, model = $2, updated_at = now()
       FROM messages AS prompt
       WHERE reply.id = $1 AND reply.role = 'model' AND reply.status = ANY($3::message_status[])
         AND prompt.id = reply.reply_to_id
       RETURNING reply.chatroom_id, reply.attempts, prompt.seq AS prompt_seq, prompt.content AS prompt`,
        [replyId, model, OPEN_REPLY_STATUSES],
      ),
    );
    const row = rows[0];
    return (
      row && {
        chatroomId: row.chatroom_id,
        attempts: row.attempts,
        promptSeq: row.prompt_seq,
        prompt: row.prompt,
      }
    );
  }

  /**
   * The completed exchanges before a prompt, newest first in SQL (at most MAX_CONTEXT_EXCHANGES rows, cut to the
   * character budget by a running sum), returned oldest first. Reads no more than it sends, whatever the room size:
   * prompts are walked backwards through the (chatroom_id, seq) index and each reply is a lookup by `reply_to_id`,
   * written as a lateral join so the plan does not depend on table statistics (a plain join could scan the table).
   */
  async context(claimed: ClaimedReply, charBudget: number): Promise<ReplyContext> {
    const historyBudget = Math.max(0, charBudget - claimed.prompt.length);
    const exchanges = await this.dataSource.query<{ prompt: string; reply: string }[]>(
      `WITH recent AS (
         SELECT prompt.seq, prompt.content AS prompt, reply.content AS reply
         FROM messages AS prompt
         CROSS JOIN LATERAL (
           SELECT content FROM messages
           WHERE reply_to_id = prompt.id AND status = 'completed' AND content <> ''
         ) AS reply
         WHERE prompt.chatroom_id = $1 AND prompt.seq < $2 AND prompt.role = 'user'
         ORDER BY prompt.seq DESC
         LIMIT $4
       ), budgeted AS (
         SELECT seq, prompt, reply,
                sum(char_length(prompt) + char_length(reply)) OVER (ORDER BY seq DESC) AS used
         FROM recent
       )
       SELECT prompt, reply FROM budgeted WHERE used <= $3 ORDER BY seq`,
      [claimed.chatroomId, claimed.promptSeq, historyBudget, MAX_CONTEXT_EXCHANGES],
    );
    return { exchanges, prompt: claimed.prompt.slice(-charBudget) };
  }

  /** Moves a reply from one of `from` to its final state; returns the stored row, or undefined if it was not in `from`. */
  async settle(
    replyId: string,
    from: readonly MessageStatus[],
    settlement: ReplySettlement,
  ): Promise<Message | undefined> {
    const result: unknown = await this.dataSource.query(
      `UPDATE messages
       SET status = $2, content = $3, error_code = $4, error_message = $5, finish_reason = $6, truncated = $7,
           prompt_tokens = $8, output_tokens = $9, total_tokens = $10, completed_at = now(), updated_at = now()
       WHERE id = $1 AND status = ANY($11::message_status[])
       RETURNING *`,
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
      ],
    );
    const [row] = returnedRows<MessageRow>(result);
    return row && toMessage(row);
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
    replyToId: row.reply_to_id,
    idempotencyKey: row.idempotency_key,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    finishReason: row.finish_reason,
    truncated: row.truncated,
    promptTokens: row.prompt_tokens,
    outputTokens: row.output_tokens,
    totalTokens: row.total_tokens,
    attempts: row.attempts,
    model: row.model,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  });
  return message;
}
