import { signIn } from '../support/auth';
import { ApiClient } from '../support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from '../support/stack';
import {
  fetchOpenApiDocument,
  fillPath,
  listOperations,
  OpenApiDocument,
  Operation,
  resolveSchema,
} from './support/openapi';
import { validBody, validValue } from './support/valid-body';

interface Outcome {
  operation: string;
  property?: string;
  status: number;
}

/**
 * The inputs the fuzz suite found to cause 5xx, tried deterministically on every string property of every JSON body
 * in the document: each must be refused (or accepted) with a 4xx or 2xx, never a 5xx.
 */
describe('hostile values in every JSON body', () => {
  let stack: Stack;
  let document: OpenApiDocument;
  let client: ApiClient;
  let chatroomId: string;
  let operations: Operation[];

  const pathFor = (operation: Operation): string =>
    fillPath(operation.path, Object.fromEntries(operation.pathParams.map((name) => [name, chatroomId])));

  const stringProperties = (operation: Operation): string[] =>
    Object.entries(operation.jsonBody?.properties ?? {})
      .filter(([, schema]) => resolveSchema(document, schema).type === 'string')
      .map(([name]) => name);

  /** A valid body for each string property in turn, that property's value ending in `suffix`. */
  async function sendWithSuffix(suffix: string): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const operation of operations) {
      for (const property of stringProperties(operation)) {
        const body = validBody(document, operation.jsonBody!);
        body[property] =
          `${String(validValue(document, operation.jsonBody!.properties![property]))}${suffix}`;
        const response = await client.request(operation.method, pathFor(operation), body);
        outcomes.push({ operation: operation.key, property, status: response.status });
      }
    }
    return outcomes;
  }

  async function sendRaw(operation: Operation, text: string): Promise<Outcome> {
    const response = await fetch(`${stack.api.url}${pathFor(operation)}`, {
      method: operation.method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${client.accessToken}` },
      body: text,
    });
    await response.text();
    return { operation: operation.key, status: response.status };
  }

  beforeAll(async () => {
    stack = await startStack({}, { worker: false });
    document = await fetchOpenApiDocument(stack.api.url);
    client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    chatroomId = (await client.post<{ id: string }>('/chatroom', { title: 'target' })).body.id;
    operations = listOperations(document).filter((operation) => operation.jsonBody !== undefined);
  }, STACK_TIMEOUT_MS);

  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);

  it('finds string properties to try in the JSON bodies of the document', () => {
    expect(operations.flatMap(stringProperties).length).toBeGreaterThanOrEqual(15);
  });

  it('refuses a NUL character in any string property with a 400', async () => {
    const failures = (await sendWithSuffix('\u0000')).filter((outcome) => outcome.status !== 400);
    expect(failures).toEqual([]);
  });

  it('refuses a lone UTF-16 surrogate in any string property with a 400', async () => {
    const failures = (await sendWithSuffix('\ud800')).filter((outcome) => outcome.status !== 400);
    expect(failures).toEqual([]);
  });

  it.each([
    ['arrays', (depth: number) => '['.repeat(depth) + ']'.repeat(depth)],
    ['objects', (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)],
  ])('refuses a body of 5,000 nested %s, well under the body limit, with a 400', async (_kind, nest) => {
    const text = nest(5_000);
    expect(Buffer.byteLength(text)).toBeLessThan(stack.config.bodyLimitBytes);
    const outcomes: Outcome[] = [];
    for (const operation of operations) outcomes.push(await sendRaw(operation, text));
    expect(outcomes.filter((outcome) => outcome.status !== 400)).toEqual([]);
  });

  it('answers a URL with broken percent-encoding with the problem body', async () => {
    const response = await fetch(`${stack.api.url}/chatroom/%ff%fe`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(await response.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });
});
