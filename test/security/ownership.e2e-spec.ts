import { QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { signIn, SignedIn } from '../support/auth';
import { ApiClient } from '../support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from '../support/stack';
import { SentBody } from '../support/types';
import { startWorker } from '../support/worker';
import {
  fetchOpenApiDocument,
  fillPath,
  listOperations,
  OpenApiDocument,
  Operation,
} from './support/openapi';
import { RawResponse, requestRaw } from './support/requests';
import { validBody } from './support/valid-body';

interface Probe {
  operation: string;
  path: string;
  response: RawResponse;
}

interface OwnerData {
  chatroomId: string;
  title: string;
  messageIds: string[];
  /** A reply still queued, so a cancel that got through would show. */
  pendingReplyId: string;
  texts: string[];
}

describe("another user's chatrooms and messages", () => {
  let stack: Stack;
  let document: OpenApiDocument;
  let owner: SignedIn;
  let intruder: SignedIn;
  let ownerData: OwnerData;
  let intruderChatroomId: string;
  let intruderUsageBefore: number;
  let repliesQueue: Queue;
  let queuedJobsBefore: number;
  let ownerRowsBefore: unknown[];
  const probes: Probe[] = [];
  const views: Probe[] = [];

  const ownerRows = async (): Promise<unknown[]> => [
    ...(await stack.database.query('SELECT * FROM chatrooms WHERE user_id = $1', [owner.user.id])),
    ...(await stack.database.query('SELECT * FROM messages WHERE user_id = $1 ORDER BY id', [owner.user.id])),
  ];

  /** What an attacker could learn about the owner: anything identifying them or their conversation. */
  const ownerSecrets = (): string[] => [
    owner.user.id,
    owner.mobile,
    ownerData.chatroomId,
    ownerData.title,
    ...ownerData.messageIds,
    ...ownerData.texts,
  ];

  /**
   * Values for each path parameter, by name: the owner's ids, and for message routes also the intruder's own
   * chatroom with the owner's message ids (the message must be checked too, not just the chatroom).
   */
  function intruderPaths(operation: Operation): string[] {
    const unknown = operation.pathParams.filter((name) => name !== 'id' && name !== 'messageId');
    if (unknown.length > 0) {
      throw new Error(`${operation.key}: teach ownership.e2e-spec.ts whose ids ${unknown.join(', ')} are`);
    }
    if (!operation.pathParams.includes('messageId'))
      return [fillPath(operation.path, { id: ownerData.chatroomId })];
    return [ownerData.chatroomId, intruderChatroomId].flatMap((id) =>
      ownerData.messageIds.map((messageId) => fillPath(operation.path, { id, messageId })),
    );
  }

  async function send(operation: Operation, path: string, token: string): Promise<RawResponse> {
    return requestRaw(`${stack.api.url}${path}`, {
      method: operation.method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(operation.jsonBody ? { 'content-type': 'application/json' } : {}),
      },
      // A valid body, so that validation (400) cannot hide what the ownership check does.
      body: operation.jsonBody ? JSON.stringify(validBody(document, operation.jsonBody)) : undefined,
    });
  }

  beforeAll(async () => {
    stack = await startStack({}, { worker: false });
    document = await fetchOpenApiDocument(stack.api.url);
    [owner, intruder] = await Promise.all([signIn(stack.api.url), signIn(stack.api.url)]);
    const ownerClient = new ApiClient(stack.api.url, owner.accessToken);
    const intruderClient = new ApiClient(stack.api.url, intruder.accessToken);

    const title = `Owner's private trip ${randomUUID()}`;
    const chatroomId = (await ownerClient.post<{ id: string }>('/chatroom', { title })).body.id;
    const prompt = `owner-secret-prompt-${randomUUID()}`;
    const answer = `owner-secret-answer-${randomUUID()}`;
    stack.gemini.script({ kind: 'answer', chunks: [answer] });
    const worker = await startWorker(stack.config);
    const done = await ownerClient.post<SentBody>(`/chatroom/${chatroomId}/message?wait=30`, {
      content: prompt,
    });
    expect(done.body.reply).toMatchObject({ status: 'completed', content: answer });
    // Without a worker the next reply stays queued: cancellable, and stable while the intruder tries.
    await worker.close();
    const pendingPrompt = `owner-pending-prompt-${randomUUID()}`;
    const pending = await ownerClient.post<SentBody>(`/chatroom/${chatroomId}/message`, {
      content: pendingPrompt,
    });
    ownerData = {
      chatroomId,
      title,
      messageIds: [done.body.message.id, done.body.reply.id, pending.body.message.id, pending.body.reply.id],
      pendingReplyId: pending.body.reply.id,
      texts: [prompt, answer, pendingPrompt],
    };

    intruderChatroomId = (await intruderClient.post<{ id: string }>('/chatroom', { title: 'mine' })).body.id;
    intruderUsageBefore = (await intruderClient.get<{ usage: { used: number } }>('/user/me')).body.usage.used;
    repliesQueue = stack.api.app.get<Queue>(getQueueToken(QueueName.Replies));
    queuedJobsBefore = await repliesQueue.count();
    ownerRowsBefore = await ownerRows();

    const operations = listOperations(document).filter((operation) => operation.authenticated);
    for (const operation of operations.filter((candidate) => candidate.pathParams.length > 0)) {
      for (const path of intruderPaths(operation)) {
        probes.push({
          operation: operation.key,
          path,
          response: await send(operation, path, intruder.accessToken),
        });
      }
    }
    // The intruder's own views (lists, profile, billing) must not show the owner's data either.
    for (const operation of operations.filter(
      (candidate) => candidate.method === 'GET' && !candidate.pathParams.length,
    )) {
      views.push({
        operation: operation.key,
        path: operation.path,
        response: await send(operation, operation.path, intruder.accessToken),
      });
    }
    console.log(
      `ownership: ${new Set(probes.map((probe) => probe.operation)).size} operations with ids, ` +
        `${probes.length} requests with the owner's ids, ${views.length} views of the intruder's own data`,
    );
  }, 120_000);

  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);

  it('covers every operation that takes an id, with every id of the owner', () => {
    const operationsWithIds = listOperations(document).filter((operation) => operation.pathParams.length > 0);
    expect(operationsWithIds.length).toBeGreaterThanOrEqual(8);
    expect(new Set(probes.map((probe) => probe.operation))).toEqual(
      new Set(operationsWithIds.map((operation) => operation.key)),
    );
  });

  it("answers 404 NOT_FOUND to every operation on the other user's ids", () => {
    const answered = probes.map(({ operation, path, response }) => ({
      operation,
      path,
      status: response.status,
      code: response.contentType.includes('json')
        ? (JSON.parse(response.body) as { code?: unknown }).code
        : undefined,
    }));
    expect(answered.filter((probe) => probe.status !== 404 || probe.code !== 'NOT_FOUND')).toEqual([]);
  });

  it("shows none of the other user's data in any response", () => {
    const leaks = [...probes, ...views].flatMap(({ operation, path, response }) =>
      ownerSecrets()
        // An id the intruder put in the URL comes back in `instance` and `detail`: an echo, not a disclosure.
        .filter((secret) => !decodeURIComponent(path).includes(secret))
        .filter((secret) => response.raw.includes(secret))
        .map((secret) => ({ operation, path, secret })),
    );
    expect(views.length).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });

  it("leaves the other user's chatroom and messages exactly as they were, the pending reply still queued", async () => {
    expect(await ownerRows()).toEqual(ownerRowsBefore);
    const [pending] = await stack.database.query<{ status: string }>(
      'SELECT status FROM messages WHERE id = $1',
      [ownerData.pendingReplyId],
    );
    expect(pending.status).toBe('queued');
  });

  it('charges the intruder no quota and stores or queues nothing for the rejected requests', async () => {
    const me = await new ApiClient(stack.api.url, intruder.accessToken).get<{ usage: { used: number } }>(
      '/user/me',
    );
    expect(me.body.usage.used).toBe(intruderUsageBefore);
    expect(
      await stack.database.query('SELECT id FROM messages WHERE user_id = $1', [intruder.user.id]),
    ).toHaveLength(0);
    expect(await repliesQueue.count()).toBe(queuedJobsBefore);
  });
});
