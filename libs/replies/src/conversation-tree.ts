import { Message, returnedRows } from '@app/database';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { toMessage } from './reply-repository';

/** Where a message stands among its versions (the messages with the same parent). */
export interface MessageVersions {
  /** 1-based, in the order the versions were made. */
  position: number;
  count: number;
  /** Every version's id, this message's included, in that order. */
  ids: string[];
}

export interface PathPage {
  /** Newest first. */
  messages: Message[];
  /** Each message's versions, by message id. */
  versions: Map<string, MessageVersions>;
  /** The message the next page starts at (the parent of the oldest one here); null at the conversation's start. */
  nextId: string | null;
}

type MessageRow = Record<string, unknown>;

/**
 * A chatroom's conversation as a tree: every message has a parent (a reply its prompt, a prompt the reply it
 * follows), versions of a turn are siblings, and the chatroom's active leaf picks the branch it shows. Paths are
 * read by walking parents up from a message, one primary-key lookup per message, so a page costs its own size
 * whatever the chatroom's.
 */
@Injectable()
export class ConversationTree {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Up to `limit` messages of the active branch, newest first, starting at its leaf or at `fromId` (a page cursor),
   * each with its versions (one query: the walk up the tree, and for each message a lookup of its siblings by
   * parent). Ownership is part of the query: another user's chatroom reads as empty.
   */
  async activePath(
    userId: string,
    chatroomId: string,
    page: { fromId?: string; limit: number },
  ): Promise<PathPage> {
    const rows = await this.dataSource.query<MessageRow[]>(
      `WITH RECURSIVE path AS (
         SELECT message.*, 1 AS depth FROM messages AS message
         WHERE message.id = coalesce($3::uuid, (SELECT active_leaf_id FROM chatrooms WHERE id = $1 AND user_id = $2))
           AND message.chatroom_id = $1 AND message.user_id = $2
         UNION ALL
         SELECT message.*, path.depth + 1 FROM messages AS message JOIN path ON message.id = path.parent_id
         WHERE path.depth < $4
       )
       SELECT path.*,
              CASE WHEN path.parent_id IS NULL
                THEN (SELECT array_agg(sibling.id::text ORDER BY sibling.seq) FROM messages AS sibling
                      WHERE sibling.chatroom_id = path.chatroom_id AND sibling.parent_id IS NULL)
                ELSE (SELECT array_agg(sibling.id::text ORDER BY sibling.seq) FROM messages AS sibling
                      WHERE sibling.parent_id = path.parent_id)
              END AS version_ids
       FROM path ORDER BY depth`,
      [chatroomId, userId, page.fromId ?? null, page.limit],
    );
    const messages = rows.map(toMessage);
    const versions = new Map(
      rows.map((row) => {
        const ids = row.version_ids as string[];
        const id = row.id as string;
        return [id, { position: ids.indexOf(id) + 1, count: ids.length, ids }];
      }),
    );
    const oldest = messages.at(-1);
    return {
      messages,
      versions,
      nextId: messages.length === page.limit && oldest?.parentId ? oldest.parentId : null,
    };
  }

  /**
   * Makes the branch through `messageId` the active one: the chatroom's leaf becomes that message's newest
   * descendant (the message itself when it has none). False when the message is not in the user's chatroom.
   */
  async activate(userId: string, chatroomId: string, messageId: string): Promise<boolean> {
    const result: unknown = await this.dataSource.query(
      `WITH RECURSIVE subtree AS (
         SELECT id, seq FROM messages WHERE id = $3 AND chatroom_id = $1 AND user_id = $2
         UNION ALL
         SELECT child.id, child.seq FROM messages AS child JOIN subtree ON child.parent_id = subtree.id
       ), leaf AS (
         SELECT id FROM subtree ORDER BY seq DESC LIMIT 1
       )
       UPDATE chatrooms SET active_leaf_id = leaf.id, updated_at = now()
       FROM leaf WHERE chatrooms.id = $1 AND chatrooms.user_id = $2
       RETURNING chatrooms.id`,
      [chatroomId, userId, messageId],
    );
    return returnedRows(result).length === 1;
  }

  /**
   * Copies the path from the conversation's start to `upToId` into the empty chatroom `targetId`, as its one
   * branch: new ids, positions 1…n, the same texts and states; token usage stays with the originals. Copies
   * nothing while a reply on the path is still open (it would be an open reply with no job): `open` counts them.
   * Runs in `manager`'s transaction, with the target's creation.
   */
  async copyPath(
    manager: EntityManager,
    source: { userId: string; chatroomId: string; upToId: string },
    targetId: string,
  ): Promise<{ copied: number; open: number }> {
    const rows = await manager.query<{ copied: number; open: number }[]>(
      `WITH RECURSIVE path AS (
         SELECT message.*, 1 AS depth FROM messages AS message
         WHERE message.id = $3 AND message.chatroom_id = $1 AND message.user_id = $2
         UNION ALL
         SELECT message.*, path.depth + 1 FROM messages AS message JOIN path ON message.id = path.parent_id
       ), numbered AS MATERIALIZED (
         SELECT path.*, gen_random_uuid() AS copy_id, row_number() OVER (ORDER BY depth DESC) AS copy_seq
         FROM path
       ), copied AS (
         INSERT INTO messages (id, chatroom_id, user_id, seq, parent_id, copied_from_id, role, content, status,
                               error_code, error_message, finish_reason, truncated, attempts, model, created_at,
                               updated_at, completed_at)
         SELECT copy_id, $4, user_id, copy_seq, lag(copy_id) OVER (ORDER BY copy_seq), id, role, content, status,
                error_code, error_message, finish_reason, truncated, attempts, model, created_at, updated_at,
                completed_at
         FROM numbered
         WHERE NOT EXISTS (SELECT 1 FROM numbered WHERE status IN ('queued', 'generating'))
         RETURNING id, seq
       ), room AS (
         UPDATE chatrooms
         SET last_message_seq = (SELECT count(*) FROM copied),
             active_leaf_id = (SELECT id FROM copied ORDER BY seq DESC LIMIT 1)
         WHERE id = $4 AND EXISTS (SELECT 1 FROM copied)
       )
       SELECT (SELECT count(*)::int FROM copied) AS copied,
              (SELECT count(*)::int FROM numbered WHERE status IN ('queued', 'generating')) AS open`,
      [source.chatroomId, source.userId, source.upToId, targetId],
    );
    return rows[0] ?? { copied: 0, open: 0 };
  }
}
