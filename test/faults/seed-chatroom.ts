type Query = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/**
 * Fills an empty chatroom with `exchanges` completed prompt/reply pairs of `messageChars` characters each (a
 * multiple of 32), numbered and linked as the api stores them (prompt 2i-1 follows reply 2i-2, its reply 2i answers
 * it, the last reply is the active leaf), in a few statements rather than through the api, so a room of 20,000
 * messages takes seconds.
 */
export async function fillChatroom(
  query: Query,
  chatroomId: string,
  { exchanges, messageChars }: { exchanges: number; messageChars: number },
): Promise<void> {
  const [{ userId }] = await query<{ userId: string }>(
    'SELECT user_id AS "userId" FROM chatrooms WHERE id = $1',
    [chatroomId],
  );
  const repeats = messageChars / 32;
  await query(
    `INSERT INTO messages (chatroom_id, user_id, seq, role, content, status, completed_at)
     SELECT $1, $2, 2 * i - 1, 'user', repeat(md5(i::text), $3), 'completed', now()
     FROM generate_series(1, $4) AS i`,
    [chatroomId, userId, repeats, exchanges],
  );
  await query(
    `INSERT INTO messages (chatroom_id, user_id, seq, role, content, status, parent_id, completed_at)
     SELECT chatroom_id, user_id, seq + 1, 'model', repeat(md5((-seq)::text), $2), 'completed', id, now()
     FROM messages WHERE chatroom_id = $1`,
    [chatroomId, repeats],
  );
  await query(
    `UPDATE messages AS prompt SET parent_id = previous.id FROM messages AS previous
     WHERE prompt.chatroom_id = $1 AND prompt.role = 'user' AND previous.chatroom_id = $1
       AND previous.seq = prompt.seq - 1`,
    [chatroomId],
  );
  await query(
    `UPDATE chatrooms SET last_message_seq = $2,
       active_leaf_id = (SELECT id FROM messages WHERE chatroom_id = $1 AND seq = $2)
     WHERE id = $1`,
    [chatroomId, 2 * exchanges],
  );
}
