import { randomUUID } from 'node:crypto';
import { Stack, STACK_TIMEOUT_MS, startStack } from '../support/stack';
import { PasswordAccount, registerWithPassword } from './support/accounts';
import { fetchOpenApiDocument, fillPath, listOperations, Operation } from './support/openapi';
import { decodeClaims, forgeFrom, signHs256 } from './support/tokens';

type Credential = 'none' | 'expired' | 'wronglySigned' | 'algNone' | 'genuine';

interface Probe {
  operation: string;
  credential: Credential;
  status: number;
  code: unknown;
}

/** One request to an operation: any id is an unknown UUID, a JSON body is `{}`; only the credential varies. */
async function call(
  apiUrl: string,
  operation: Operation,
  token: string | undefined,
): Promise<Pick<Probe, 'status' | 'code'>> {
  const ids = Object.fromEntries(operation.pathParams.map((name) => [name, randomUUID()]));
  const response = await fetch(`${apiUrl}${fillPath(operation.path, ids)}`, {
    method: operation.method,
    headers: {
      ...(operation.jsonBody ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: operation.jsonBody ? '{}' : undefined,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('json') ?? false;
  return {
    status: response.status,
    code: isJson ? (JSON.parse(text) as { code?: unknown }).code : undefined,
  };
}

describe('authentication on every protected operation', () => {
  let stack: Stack;
  let account: PasswordAccount;
  let operations: Operation[];
  const probes: Probe[] = [];

  const probesWith = (credential: Credential): Probe[] =>
    probes.filter((probe) => probe.credential === credential);

  beforeAll(async () => {
    stack = await startStack({}, { worker: false });
    account = await registerWithPassword(stack.api.url);
    operations = listOperations(await fetchOpenApiDocument(stack.api.url)).filter(
      (operation) => operation.authenticated,
    );
    for (const operation of operations) {
      // A session of its own per operation: the genuine call may end it (logout), and the forged tokens name it.
      const genuine = await account.login();
      const forged = forgeFrom(genuine, stack.config.auth.jwtSecret);
      const credentials: [Credential, string | undefined][] = [
        ['none', undefined],
        ['expired', forged.expired],
        ['wronglySigned', forged.wronglySigned],
        ['algNone', forged.algNone],
        // Last, so the session was live for every forged attempt before it.
        ['genuine', genuine],
      ];
      for (const [credential, token] of credentials) {
        probes.push({
          operation: operation.key,
          credential,
          ...(await call(stack.api.url, operation, token)),
        });
      }
    }
    console.log(`authentication: ${operations.length} protected operations, ${probes.length} requests`);
  }, 120_000);

  afterAll(async () => stack?.stop(), STACK_TIMEOUT_MS);

  it('finds the protected operations in the live OpenAPI document', () => {
    expect(operations.length).toBeGreaterThanOrEqual(15);
    expect(operations.map((operation) => operation.key)).toEqual(
      expect.arrayContaining(['GET /user/me', 'POST /chatroom/{id}/message', 'POST /auth/logout']),
    );
  });

  it('accepts a token this suite signs with the api secret, so each forged token fails only for its flaw', async () => {
    const genuine = await account.login();
    const now = Math.floor(Date.now() / 1000);
    const resigned = signHs256(
      { ...decodeClaims(genuine), iat: now, exp: now + 300 },
      stack.config.auth.jwtSecret,
    );
    const response = await fetch(`${stack.api.url}/user/me`, {
      headers: { authorization: `Bearer ${resigned}` },
    });
    expect(response.status).toBe(200);
  });

  it('lets the genuine token past authentication on every protected operation', () => {
    const rejected = probesWith('genuine').filter((probe) => probe.status === 401);
    expect(rejected).toEqual([]);
    expect(probesWith('genuine')).toHaveLength(operations.length);
  });

  it.each<[string, Credential]>([
    ['without a token', 'none'],
    ['with an expired token', 'expired'],
    ['with a token signed with another secret', 'wronglySigned'],
    ['with an unsigned alg:none token', 'algNone'],
  ])('answers 401 UNAUTHORIZED to every protected operation called %s', (_description, credential) => {
    const results = probesWith(credential);
    expect(results).toHaveLength(operations.length);
    expect(results.filter((probe) => probe.status !== 401 || probe.code !== 'UNAUTHORIZED')).toEqual([]);
  });
});
