import fc from 'fast-check';
import { Agent, request as httpRequest } from 'node:http';
import { FakeStripe } from '@app/stand-ins';
import { ApiClient } from '../support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from '../support/stack';
import { SentBody } from '../support/types';
import { PasswordAccount, registerWithPassword } from './support/accounts';
import { bodyText, RequestSpec, requestFor, STRIPE_WEBHOOK_PATH } from './support/fuzz-requests';
import { fetchOpenApiDocument, listOperations, OpenApiDocument, Operation } from './support/openapi';
import { forgeFrom } from './support/tokens';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const TOTAL_REQUESTS = Number(process.env.FUZZ_RUNS ?? 2_100);
const RESPONSE_TIMEOUT_MS = 30_000;

interface SentRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

const describeRequest = (sent: SentRequest): string =>
  JSON.stringify({
    ...sent,
    body: sent.body && sent.body.length > 2_000 ? `${sent.body.slice(0, 2_000)}…` : sent.body,
  });

describe('fuzzing every documented operation', () => {
  const stripe = new FakeStripe();
  // A fresh connection per request: on a reused one, a server-side close after the last answer looks like a hang-up.
  const agent = new Agent({ keepAlive: false });
  let stack: Stack;
  let document: OpenApiDocument;
  let operations: Operation[];
  let account: PasswordAccount;
  let accessToken: string;
  let realIds: string[];
  const statuses = new Map<number, number>();
  const requestsPerOperation = new Map<string, number>();
  const failures: { key: string; example: string }[] = [];

  /** A chatroom with a prompt and its completed reply: the ids that let fuzzed requests reach deeper code. */
  async function provisionConversation(): Promise<void> {
    const client = new ApiClient(stack.api.url, accessToken);
    const room = await client.post<{ id: string }>('/chatroom', { title: 'fuzz target' });
    const sent = await client.post<SentBody>(`/chatroom/${room.body.id}/message?wait=10`, {
      content: 'hello',
    });
    realIds = [room.body.id, sent.body.message.id, sent.body.reply.id];
  }

  function send(sent: SentRequest): Promise<Answer> {
    const { hostname, port } = new URL(stack.api.url);
    return new Promise<Answer>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: hostname,
          port,
          method: sent.method,
          path: sent.path,
          headers: sent.headers,
          agent,
          signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS),
        },
        (response) => {
          const contentType = response.headers['content-type'] ?? '';
          // A stream of a real reply stays open: its 200 and headers are the answer.
          if (contentType.includes('text/event-stream')) {
            response.destroy();
            return resolve({ status: response.statusCode ?? 0, contentType, body: '' });
          }
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              contentType,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(sent.body);
    });
  }

  function materialize(operation: Operation, spec: RequestSpec): SentRequest {
    let path = operation.path.replace(/\{([^}]+)\}/g, (_placeholder, name: string) => {
      const value = spec.pathValues[name];
      if (value.kind === 'real') return realIds[value.index];
      return value.kind === 'raw' ? value.value : encodeURIComponent(value.value);
    });
    if (spec.query.length > 0) path += `?${new URLSearchParams(spec.query).toString()}`;
    const headers: Record<string, string> = { ...spec.headers };
    if (spec.auth.kind === 'genuine') headers.authorization = `Bearer ${accessToken}`;
    if (spec.auth.kind === 'tampered')
      headers.authorization = `Bearer ${forgeFrom(accessToken, stack.config.auth.jwtSecret).algNone}`;
    if (spec.auth.kind === 'header') headers.authorization = spec.auth.value;
    const body = bodyText(document, operation, spec.body);
    if (body !== undefined && spec.contentType !== null) headers['content-type'] = spec.contentType;
    // For the webhook, the genuine credential is Stripe's signature: signed bodies reach event handling.
    if (operation.path === STRIPE_WEBHOOK_PATH && spec.auth.kind === 'genuine' && body !== undefined) {
      headers['stripe-signature'] = stripe.sign(body);
    }
    // Without a length Node sends the body chunked; when the api answers before reading it (a bad URL), the rest of
    // the chunked body reaches its parser as a second request, and the client sees data after `Connection: close`.
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return { method: operation.method, path, headers, body };
  }

  /** Puts back what a fuzzed request may legitimately take away: the session (logout) or the chatroom (delete). */
  async function restoreState(sent: SentRequest, answer: Answer, usedGenuineToken: boolean): Promise<void> {
    if (usedGenuineToken && answer.status === 401) {
      accessToken = await account.login();
      await provisionConversation();
    } else if (sent.method === 'DELETE' && answer.status < 300) {
      await provisionConversation();
    }
  }

  beforeAll(async () => {
    await stripe.start();
    stack = await startStack({
      STRIPE_API_KEY: stripe.apiKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_PRO_PRICE_ID: 'price_pro',
      STRIPE_API_BASE_URL: stripe.url,
      STRIPE_SUCCESS_URL: 'https://app.example.com/billing/success',
      STRIPE_CANCEL_URL: 'https://app.example.com/billing/cancel',
    });
    document = await fetchOpenApiDocument(stack.api.url);
    operations = listOperations(document);
    account = await registerWithPassword(stack.api.url);
    accessToken = await account.login();
    await provisionConversation();

    const runsPerOperation = Math.ceil(TOTAL_REQUESTS / operations.length);
    for (const [index, operation] of operations.entries()) {
      let run = 0;
      // Every generated request is sent even after a 5xx, so one run reports every failing operation at once.
      const property = fc.asyncProperty(requestFor(operation), async (spec) => {
        run += 1;
        const sent = materialize(operation, spec);
        const where = `${operation.key} (seed ${SEED + index}, run ${run})`;
        const answer = await send(sent).catch((error: Error) => {
          failures.push({
            key: `${operation.key} no answer`,
            example: `${where}: ${error.message} to ${describeRequest(sent)}`,
          });
          return undefined;
        });
        if (!answer) return;
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        requestsPerOperation.set(operation.key, (requestsPerOperation.get(operation.key) ?? 0) + 1);
        if (answer.status >= 500) {
          failures.push({
            key: `${operation.key} ${answer.status}`,
            example: `${where}: ${describeRequest(sent)}\n  answer: ${answer.body.slice(0, 500)}`,
          });
        }
        await restoreState(sent, answer, spec.auth.kind === 'genuine');
      });
      await fc.assert(property, { seed: SEED + index, numRuns: runsPerOperation });
    }
    const total = [...statuses.values()].reduce((sum, count) => sum + count, 0);
    console.log(
      `fuzz: seed ${SEED} (FUZZ_SEED), ${runsPerOperation} runs × ${operations.length} operations, ` +
        `${total} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
    );
  }, 600_000);

  afterAll(async () => {
    agent.destroy();
    await stack?.stop();
    await stripe.stop();
  }, STACK_TIMEOUT_MS);

  it('answers every random or malformed request without a 5xx', () => {
    // One line per failing operation and status: how often, and the shortest request that did it.
    const byKind = new Map<string, { count: number; example: string }>();
    for (const { key, example } of failures) {
      const seen = byKind.get(key);
      if (!seen || example.length < seen.example.length)
        byKind.set(key, { count: (seen?.count ?? 0) + 1, example });
      else seen.count += 1;
    }
    expect([...byKind].map(([key, { count, example }]) => `${key} ×${count}, e.g. ${example}`)).toEqual([]);
  });

  it('sent at least 2,000 requests, to every operation in the document', () => {
    const total = [...requestsPerOperation.values()].reduce((sum, count) => sum + count, 0);
    expect(total).toBeGreaterThanOrEqual(Math.min(2_000, TOTAL_REQUESTS));
    expect([...requestsPerOperation.keys()].sort()).toEqual(
      operations.map((operation) => operation.key).sort(),
    );
  });

  it('still serves a genuine request afterwards', async () => {
    const me = await new ApiClient(stack.api.url, await account.login()).get('/user/me');
    expect(me.status).toBe(200);
    expect((await new ApiClient(stack.api.url).get('/health/ready')).status).toBe(200);
  });
});
