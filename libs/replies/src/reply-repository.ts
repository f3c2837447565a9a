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
}

/** What a worker needs to generate a claimed reply: its prompt, where its context starts, and how to generate it. */
export interface ClaimedReply {
  chatroomId: string;
  userId: string;
  attempts: number;
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
  totalTokens?: number | null;
  /** A generated title for the chatroom, stored with the reply if the chatroom still has its default title. */
  title?: string;
}

type MessageRow = Record<string, unknown>;

/** The SQL of the reply lifecycle. Every state change is conditional on the current state, in one statement. */
@Injectable()
export class ReplyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores a turn: a prompt and its queued reply (continue, edit), or a queued reply alone (regenerate), numbered as
   * the chatroom's next messages and made its active branch. The chatroom's row is locked first, so concurrent turns
   * get distinct positions and each one's parent is the leaf as the previous turn left it. Nothing is stored, and
   * the result is undefined, when the chatroom (or the edited or regenerated message) is not the user's or is gone.
   */
  async insertTurn(command: TurnCommand): Promise<StoredExchange | undefined> {
    const { placement } = command;
    if (placement.kind === 'regenerate') return this.insertRegeneration(command, placement.replyId);
    const promptId = randomUUID();
    const replyId = randomUUID();
    const editedId = placement.kind === 'edit' ? placement.promptId : null;
    const rows = await this.dataSource.query<MessageRow[]>(
      `WITH edited AS (
         SELECT parent_id FROM messages WHERE id = $7 AND chatroom_id = $1 AND user_id = $2 AND role = 'user'
       ), previous AS (
         SELECT id, active_leaf_id FROM chatrooms WHERE id = $1 AND user_id = $2 FOR UPDATE
       ), room AS (
         UPDATE chatrooms AS room
         SET last_message_seq = room.last_message_seq + 2, active_leaf_id = $4, last_activity_at = now(),
             updated_at = now()
         FROM previous
         WHERE room.id = previous.id AND ($7::uuid IS NULL OR EXISTS (SELECT 1 FROM edited))
         RETURNING room.last_message_seq,
                   CASE WHEN $7::uuid IS NULL THEN previous.active_leaf_id ELSE (SELECT parent_id FROM edited) END
                     AS parent_id
       ), prompt AS (
         INSERT INTO messages (id, chatroom_id, user_id, seq, parent_id, role, content, status, idempotency_key,
                               completed_at)
         SELECT $3, $1, $2, last_message_seq - 1, parent_id, 'user', $5, 'completed', $6, now() FROM room
         RETURNING *
       ), reply AS (
         INSERT INTO messages (id, chatroom_id, user_id, seq, parent_id, role, content, status)
         SELECT $4, $1, $2, last_message_seq, $3, 'model', '', 'queued' FROM room
         RETURNING *
       )
       SELECT * FROM prompt UNION ALL SELECT * FROM reply`,
      [
        command.chatroomId,
        command.userId,
        promptId,
        replyId,
        placement.content,
        command.idempotencyKey ?? null,
        editedId,
      ],
    );
    const messages = rows.map(toMessage);
    const prompt = messages.find((message) => message.id === promptId);
    const reply = messages.find((message) => message.id === replyId);
    return prompt && reply ? { prompt, reply } : undefined;
  }

  private async insertRegeneration(
    command: TurnCommand,
    regeneratedId: string,
  ): Promise<StoredExchange | undefined> {
    const replyId = randomUUID();
    const rows = await this.dataSource.query<MessageRow[]>(
      `WITH regenerated AS (
         SELECT parent_id FROM messages WHERE id = $4 AND chatroom_id = $1 AND user_id = $2 AND role = 'model'
       ), room AS (
         UPDATE chatrooms
         SET last_message_seq = last_message_seq + 1, active_leaf_id = $3, last_activity_at = now(),
             updated_at = now()
         WHERE id = $1 AND user_id = $2 AND EXISTS (SELECT 1 FROM regenerated)
         RETURNING last_message_seq
       ), reply AS (
         INSERT INTO messages (id, chatroom_id, user_id, seq, parent_id, role, content, status, idempotency_key)
         SELECT $3, $1, $2, room.last_message_seq, regenerated.parent_id, 'model', '', 'queued', $5
         FROM room, regenerated
         RETURNING *
       )
       SELECT * FROM reply
       UNION ALL
       SELECT prompt.* FROM messages AS prompt, reply WHERE prompt.id = reply.parent_id`,
      [command.chatroomId, command.userId, replyId, regeneratedId, command.idempotencyKey ?? null],
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
         RETURNING reply.chatroom_id, reply.user_id, reply.attempts, prompt.content AS prompt,
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
   * `from`. A `title` is stored on the chatroom in the same statement, if it still has its default title; the row
   * then carries it as `generatedTitle`.
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
             completed_at = now(), updated_at = now()
         WHERE id = $1 AND status = ANY($11::message_status[])
         RETURNING *
       ), titled AS (
         UPDATE chatrooms SET title = $13, title_source = 'generated', updated_at = now()
         FROM settled
         WHERE $13::text IS NOT NULL AND chatrooms.id = settled.chatroom_id AND chatrooms.title_source = 'default'
         RETURNING chatrooms.title
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
