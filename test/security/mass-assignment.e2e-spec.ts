import { randomUUID } from 'node:crypto';
import { signIn, SignedIn } from '../support/auth';
import { ApiClient } from '../support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from '../support/stack';
import {
  fetchOpenApiDocument,
  fillPath,
  listOperations,
  OpenApiDocument,
  Operation,
} from './support/openapi';
import { validBody } from './support/valid-body';

interface Attempt {
  operation: string;
  field: string;
  status: number;
  code: unknown;
  fieldsInErrors: unknown[];
}

describe('mass assignment', () => {
  let stack: Stack;
  let document: OpenApiDocument;
  let user: SignedIn;
  let victim: SignedIn;
  let chatroomId: string;
  let promptId: string;
  let operations: Operation[];
  let databaseBefore: Record<string, unknown[]>;
  const attempts: Attempt[] = [];

  /** Fields a client must never set: its own tier or role, row ids and owners, and billing or admin state. */
  const privilegedFields = (): Record<string, unknown> => ({
    tier: 'pro',
    id: randomUUID(),
    userId: victim.user.id,
    role: 'admin',
    status: 'completed',
    stripeCustomerId: 'cus_attacker',
    isAdmin: true,
    passwordHash: 'attacker-chosen-hash',
  });

  /** Every row of every table, so any write a rejected request made would show. */
  async function snapshotDatabase(): Promise<Record<string, unknown[]>> {
    const tables = await stack.database.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const snapshot: Record<string, unknown[]> = {};
    for (const { table_name: table } of tables) {
      snapshot[table] = await stack.database.query(`SELECT * FROM "${table}" ORDER BY 1`);
    }
    return snapshot;
  }

  function pathFor(operation: Operation): string {
    const unknown = operation.pathParams.filter((name) => name !== 'id' && name !== 'messageId');
    if (unknown.length > 0) {
      throw new Error(
        `${operation.key}: teach mass-assignment.e2e-spec.ts a real value for ${unknown.join(', ')}`,
      );
    }
    // The user's own chatroom and prompt, so that without the extra field the request would be allowed.
    return fillPath(operation.path, { id: chatroomId, messageId: promptId });
  }

  beforeAll(async () => {
    stack = await startStack({}, { worker: false });
    document = await fetchOpenApiDocument(stack.api.url);
    [user, victim] = await Promise.all([signIn(stack.api.url), signIn(stack.api.url)]);
    const client = new ApiClient(stack.api.url, user.accessToken);
    chatroomId = (await client.post<{ id: string }>('/chatroom', { title: 'my room' })).body.id;
    promptId = (
      await client.post<{ message: { id: string } }>(`/chatroom/${chatroomId}/message`, { content: 'hello' })
    ).body.message.id;
    operations = listOperations(document).filter((operation) => operation.jsonBody !== undefined);
    databaseBefore = await snapshotDatabase();

    for (const operation of operations) {
      for (const [field, value] of Object.entries(privilegedFields())) {
        const body = { ...validBody(document, operation.jsonBody!), [field]: value };
        const response = await client.request<{ code?: unknown; errors?: { field: unknown }[] }>(
          operation.method,
          pathFor(operation),
          body,
        );
        attempts.push({
          operation: operation.key,
          field,
          status: response.status,
          code: response.body?.code,
          fieldsInErrors: (response.body?.errors ?? []).map((error) => error.field),
        });
      }
    }
    console.log(
      `mass assignment: ${operations.length} operations with a JSON body × ` +
        `${Object.keys(privilegedFields()).length} fields = ${attempts.length} requests`,
    );
  }, 120_000);

  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);

  it('finds every operation with a JSON body in the live OpenAPI document', () => {
    expect(operations.length).toBeGreaterThanOrEqual(10);
    expect(operations.map((operation) => operation.key)).toEqual(
      expect.arrayContaining([
        'POST /auth/signup',
        'POST /chatroom',
        'PATCH /chatroom/{id}',
        'POST /chatroom/{id}/message',
      ]),
    );
  });

  it('rejects each privileged field in every JSON body with 400 VALIDATION_FAILED naming only that field', () => {
    expect(attempts).toHaveLength(operations.length * Object.keys(privilegedFields()).length);
    const wrong = attempts.filter(
      (attempt) =>
        attempt.status !== 400 ||
        attempt.code !== 'VALIDATION_FAILED' ||
        attempt.fieldsInErrors.length === 0 ||
        attempt.fieldsInErrors.some((field) => field !== attempt.field),
    );
    expect(wrong).toEqual([]);
  });

  it('leaves every table exactly as it was, the user still on the basic tier', async () => {
    expect(await snapshotDatabase()).toEqual(databaseBefore);
    const me = await new ApiClient(stack.api.url, user.accessToken).get<{ tier: string }>('/user/me');
    expect(me.body.tier).toBe('basic');
  });
});
