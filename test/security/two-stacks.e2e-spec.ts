import { signIn, SignedIn } from '../support/auth';
import { Stack, startStack } from '../support/stack';

/**
 * Two apps in one process, each with its own database, sharing the JWT key: each must check tokens against its own
 * sessions. (With Passport, the strategy registered last served both apps: tokens were checked against one database.)
 */
describe('two api instances in one process', () => {
  let first: Stack;
  let second: Stack;
  let onFirst: SignedIn;
  let onSecond: SignedIn;

  beforeAll(async () => {
    first = await startStack({}, { worker: false });
    second = await startStack({}, { worker: false });
    onFirst = await signIn(first.api.url);
    onSecond = await signIn(second.api.url);
  }, 60_000);
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  }, 30_000);

  const status = async (stack: Stack, session: SignedIn): Promise<number> =>
    (await fetch(`${stack.api.url}/user/me`, { headers: { authorization: `Bearer ${session.accessToken}` } }))
      .status;

  it('accepts each token on the instance that issued it', async () => {
    expect(await status(first, onFirst)).toBe(200);
    expect(await status(second, onSecond)).toBe(200);
  });

  it('refuses each token on the other instance, whose database has no such session', async () => {
    expect(await status(first, onSecond)).toBe(401);
    expect(await status(second, onFirst)).toBe(401);
  });
});
