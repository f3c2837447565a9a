import { randomBytes } from 'node:crypto';
import { signIn } from '../support/auth';
import { ApiClient, eventually } from '../support/http';
import { expectLedgerMatchesReplies } from '../support/ledger';
import { SentBody } from '../support/types';

export const FINAL_STATUSES = ['completed', 'failed', 'cancelled'];

type Query = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/**
 * A user of a fault test and what the api accepted from them. Every title and prompt carries the user's marker,
 * so a marker found in another user's listing is a leak.
 */
export class Tenant {
  readonly marker = `mk${randomBytes(6).toString('hex')}`;
  readonly rooms = new Set<string>();
  /** Reply ids of the prompts the api accepted (202 or 200). */
  readonly replies = new Set<string>();

  /** `client` carries the tenant's current access token; a new login replaces it. */
  constructor(public client: ApiClient) {}

  static async signIn(apiUrl: string): Promise<Tenant> {
    return new Tenant(new ApiClient(apiUrl, (await signIn(apiUrl)).accessToken));
  }

  async createRoom(): Promise<string> {
    const { status, body } = await this.client.post<{ id: string }>('/chatroom', {
      title: `room ${this.marker}`,
    });
    if (status !== 201) throw new Error(`Creating a chatroom answered ${status}`);
    this.rooms.add(body.id);
    return body.id;
  }

  /** Sends a prompt and records its reply when the api accepted it; returns the response as is. */
  async prompt(roomId: string, text: string): Promise<{ status: number; body: unknown; headers: Headers }> {
    const response = await this.client.post<SentBody>(`/chatroom/${roomId}/message`, {
      content: `${this.marker} ${text}`,
    });
    this.accept(response);
    return response;
  }

  /** Records the reply of a `POST …/message` response if it was accepted. */
  accept(response: { status: number; body: unknown }): void {
    if (response.status === 202 || response.status === 200)
      this.replies.add((response.body as SentBody).reply.id);
  }
}

/**
 * What every fault test ends with: every prompt the api accepted got exactly one reply, and that reply reached a
 * final state (polled up to `timeoutMs`); no prompt in the database is without a reply and no reply is left open;
 * and each user, through the api with their own token, sees their own chatrooms and messages and nobody else's;
 * and the usage ledger counted every reply exactly once. Returns the final status of every accepted reply, for the
 * test's own stricter checks.
 */
export async function expectNothingLostOrShared(
  query: Query,
  tenants: Tenant[],
  timeoutMs = 60_000,
): Promise<Map<string, string>> {
  const accepted = tenants.flatMap((tenant) => [...tenant.replies]);
  const statuses = await eventually(async () => {
    const rows = await query<{ id: string; status: string }>(
      'SELECT id, status FROM messages WHERE id = ANY($1::uuid[])',
      [accepted],
    );
    const open = await query(
      `SELECT id FROM messages WHERE role = 'model' AND status IN ('queued', 'generating')`,
    );
    const allFinal =
      rows.length === accepted.length && rows.every((row) => FINAL_STATUSES.includes(row.status));
    return allFinal && open.length === 0 ? new Map(rows.map((row) => [row.id, row.status])) : undefined;
  }, timeoutMs).catch(async (error: Error) => {
    const open = await query(
      `SELECT status, count(*)::int AS count FROM messages WHERE role = 'model' GROUP BY status ORDER BY status`,
    );
    throw new Error(
      `${error.message}: replies by status ${JSON.stringify(open)} of ${accepted.length} accepted`,
    );
  });
  expect(statuses.size).toBe(accepted.length);

  const repliesPerPrompt = await query<{ id: string; replies: number }>(
    `SELECT prompt.id, count(reply.id)::int AS replies
       FROM messages prompt LEFT JOIN messages reply ON reply.parent_id = prompt.id AND reply.role = 'model'
      WHERE prompt.role = 'user'
      GROUP BY prompt.id
     HAVING count(reply.id) <> 1`,
  );
  expect(repliesPerPrompt).toEqual([]);

  for (const tenant of tenants) await expectOnlyOwnData(tenant, tenants);
  await expectLedgerMatchesReplies(query);
  return statuses;
}

async function expectOnlyOwnData(tenant: Tenant, tenants: Tenant[]): Promise<void> {
  const foreign = tenants.filter((other) => other !== tenant).map((other) => other.marker);
  const leaks = (body: unknown): string[] => {
    const text = JSON.stringify(body);
    return foreign.filter((marker) => text.includes(marker));
  };

  const variants: Record<string, string>[] = [{}, { 'cache-control': 'no-cache' }];
  for (const headers of variants) {
    const listed = await allChatrooms(tenant.client, headers);
    expect(leaks(listed)).toEqual([]);
    expect(listed.map((room) => room.id)).toEqual(expect.arrayContaining([...tenant.rooms]));
  }
  for (const roomId of tenant.rooms) {
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: unknown[]; nextCursor: string | null } } =
        await tenant.client.get(
          `/chatroom/${roomId}/message?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
      expect(page.status).toBe(200);
      expect(leaks(page.body)).toEqual([]);
      cursor = page.body.nextCursor;
    } while (cursor);
  }
  const someoneElsesRoom = tenants
    .find((other) => other !== tenant && other.rooms.size > 0)
    ?.rooms.values()
    .next();
  if (someoneElsesRoom?.value) {
    expect((await tenant.client.get(`/chatroom/${someoneElsesRoom.value}`)).status).toBe(404);
  }
}

async function allChatrooms(
  client: ApiClient,
  headers: Record<string, string>,
): Promise<{ id: string; title: string }[]> {
  const rooms: { id: string; title: string }[] = [];
  let cursor: string | null = null;
  do {
    const page: {
      status: number;
      body: { items: { id: string; title: string }[]; nextCursor: string | null };
    } = await client.get(
      `/chatroom?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      headers,
    );
    expect(page.status).toBe(200);
    rooms.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return rooms;
}
