import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { RunningApi, startApi } from './support/api';
import { signIn, SignedIn } from './support/auth';
import { ApiClient } from './support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';
import { SentBody } from './support/types';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Each run compiles the CLI on the fly; on two busy cores that takes seconds. */
const CLI_TIMEOUT_MS = 60_000;

describe('npm run admin: the operator command', () => {
  let stack: Stack;
  let secondApi: RunningApi;
  let heavy: SignedIn;
  let light: SignedIn;

  /** The CLI as `npm run admin` runs it, on the source, with the suite's database and configuration. */
  const admin = (...args: string[]): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/admin.ts', ...args], {
        cwd: join(__dirname, '..'),
        env: { ...process.env, ...stack.env, NODE_ENV: 'test' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });

  const chat = async (user: SignedIn, prompts: string[], api = stack.api.url): Promise<number[]> => {
    const client = new ApiClient(api, user.accessToken);
    const room = await client.post<{ id: string }>('/chatroom', { title: 'ops' });
    const statuses: number[] = [];
    for (const content of prompts) {
      statuses.push(
        (await client.post<SentBody>(`/chatroom/${room.body.id}/message?wait=30`, { content })).status,
      );
    }
    return statuses;
  };

  beforeAll(async () => {
    stack = await startStack({ BASIC_MONTHLY_TOKENS: '100000', BASIC_DAILY_LIMIT: '5' });
    secondApi = await startApi(stack.config);
    [heavy, light] = await Promise.all([signIn(stack.api.url), signIn(stack.api.url)]);
    await chat(heavy, ['one', 'two', 'three']);
    await chat(light, ['one']);
  }, STACK_TIMEOUT_MS);
  afterAll(async () => {
    await secondApi?.close();
    await stack?.stop();
  }, STACK_TIMEOUT_MS);

  it(
    "shows a user's tier, limits and usage by mobile number, as text and as JSON",
    async () => {
      const text = await admin('usage', heavy.mobile);
      expect(text).toMatchObject({ code: 0, stderr: '' });
      expect(text.stdout).toContain(`${heavy.mobile} (basic, user ${heavy.user.id})`);
      expect(text.stdout).toContain('5 prompts a day (tier), 100000 tokens a month (tier)');
      expect(text.stdout).toMatch(/\d{4}-\d{2}-\d{2} +3 +3 +0 +0/);

      const json = await admin('usage', heavy.mobile, '--json');
      const usage = JSON.parse(json.stdout) as { tokens: { usedTokens: number; remaining: number } };
      const [{ tokens }] = await stack.database.query<{ tokens: number }>(
        `SELECT sum(prompt_tokens + output_tokens)::int AS tokens FROM messages WHERE user_id = $1`,
        [heavy.user.id],
      );
      expect(usage.tokens).toMatchObject({ usedTokens: tokens, remaining: 100_000 - tokens });
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'sets limit overrides that every api instance applies at the next request, and clears them',
    async () => {
      const set = await admin('limits', 'set', light.mobile, '--monthly-tokens', '5', '--daily-prompts', '7');
      expect(set).toMatchObject({ code: 0 });
      expect(set.stdout).toContain('7 prompts a day (override), 5 tokens a month (override)');
      for (const api of [stack.api.url, secondApi.url]) {
        const client = new ApiClient(api, light.accessToken);
        const rooms = await client.get<{ items: { id: string }[] }>('/chatroom');
        const refused = await client.post<{ code: string }>(`/chatroom/${rooms.body.items[0].id}/message`, {
          content: 'over budget',
        });
        expect([refused.status, refused.body.code]).toEqual([429, 'TOKEN_BUDGET_EXCEEDED']);
      }

      expect((await admin('limits', 'clear', light.mobile, 'monthly-tokens')).stdout).toContain(
        '7 prompts a day (override), 100000 tokens a month (tier)',
      );
      // 1 prompt earlier today, and 7 a day now: six more are accepted, the seventh refused.
      expect(await chat(light, ['2', '3', '4', '5', '6', '7', '8'], secondApi.url)).toEqual([
        200, 200, 200, 200, 200, 200, 429,
      ]);
      const cleared = await admin('limits', 'clear', light.mobile);
      expect(cleared.stdout).toContain('5 prompts a day (tier), 100000 tokens a month (tier)');
      expect(await stack.database.query('SELECT * FROM user_limits')).toEqual([]);
    },
    4 * CLI_TIMEOUT_MS,
  );

  it(
    'lists the users with the most tokens this month, most first',
    async () => {
      const top = await admin('top', '--limit', '2', '--json');
      expect(top.code).toBe(0);
      const users = JSON.parse(top.stdout) as { mobile: string; usedTokens: number }[];
      expect(users.map((user) => user.mobile)).toEqual([light.mobile, heavy.mobile]);
      expect(users[0].usedTokens).toBeGreaterThan(users[1].usedTokens);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'answers a malformed number or an unknown user with a message and exit code 1, a wrong command with 2',
    async () => {
      const malformed = await admin('usage', '+1415555012');
      expect(malformed).toMatchObject({ code: 1, stdout: '' });
      expect(malformed.stderr.trim()).toBe(
        '"+1415555012" is not a valid mobile number with its country code (+14155550123)',
      );
      const unknown = await admin('usage', '+14155550199');
      expect(unknown).toMatchObject({ code: 1 });
      expect(unknown.stderr.trim()).toBe('No user has the number +14155550199');
      const notANumber = await admin('limits', 'set', heavy.mobile, '--monthly-tokens=lots');
      expect(notANumber).toMatchObject({ code: 1 });
      expect(notANumber.stderr).toContain('--monthly-tokens must be a whole number');
      for (const args of [
        ['frobnicate'],
        ['limits', 'set', heavy.mobile],
        ['limits', 'clear', heavy.mobile, 'everything'],
        ['usage'],
        ['top', '--colour'],
      ]) {
        const wrong = await admin(...args);
        expect([args, wrong.code]).toEqual([args, 2]);
        expect(wrong.stderr).toContain('Usage: npm run admin');
      }
    },
    8 * CLI_TIMEOUT_MS,
  );
});
