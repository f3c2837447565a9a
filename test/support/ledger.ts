type Query = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/**
 * The usage ledger equals what is stored, exactly, for every user: per user and day, the prompts accepted, the
 * replies by final status and their tokens are those of the replies accepted that day; per month, the tokens used
 * are those replies' tokens and nothing stays reserved. Call it once every reply is final. Copies in forked
 * chatrooms are not usage and are left out.
 */
export async function expectLedgerMatchesReplies(query: Query): Promise<void> {
  // Every accepted turn (a prompt, an edit or a regeneration) stored exactly one reply, counted on its usage_day.
  const stored = await query(
    `SELECT user_id, usage_day::text AS day, count(*)::int AS prompts,
            count(*) FILTER (WHERE status = 'completed')::int AS completed,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
            coalesce(sum(prompt_tokens), 0)::int AS prompt_tokens, coalesce(sum(output_tokens), 0)::int AS output_tokens,
            coalesce(sum(thinking_tokens), 0)::int AS thinking_tokens
     FROM messages WHERE role = 'model' AND copied_from_id IS NULL
     GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const ledger = await query(
    `SELECT user_id, day::text AS day, prompts, replies_completed AS completed, replies_failed AS failed,
            replies_cancelled AS cancelled, prompt_tokens::int, output_tokens::int, thinking_tokens::int
     FROM usage_days ORDER BY 1, 2`,
  );
  expect(ledger).toEqual(stored);

  const months = await query<{ used: number; reserved: number; replies: number }>(
    `SELECT account.user_id, account.month::text AS month, account.used_tokens::int AS used,
            account.reserved_tokens::int AS reserved,
            (SELECT coalesce(sum(coalesce(prompt_tokens, 0) + coalesce(output_tokens, 0)
                                 + coalesce(thinking_tokens, 0)), 0)::int
               FROM messages
              WHERE user_id = account.user_id AND role = 'model' AND copied_from_id IS NULL
                AND date_trunc('month', usage_day) = account.month) AS replies
     FROM usage_months AS account ORDER BY 1, 2`,
  );
  expect(months).toEqual(months.map((month) => ({ ...month, used: month.replies, reserved: 0 })));
}
