import { ConfigValidationError, loadConfig, loadDotEnvFile } from '@app/config';
import { dataSourceOptions } from '@app/database';
import { DataSource } from 'typeorm';
import { parseArgs } from 'node:util';
import { AdminError, UsageAdmin, UserUsage } from './admin/usage-admin';

const HELP = `Usage: npm run admin -- <command> [options]   (in a container: node dist/apps/api/src/admin.js …)

  usage <mobile> [--month YYYY-MM]           a user's tier, limits and usage, day by day (default: this month)
  limits set <mobile> [--daily-prompts N] [--monthly-tokens N]
                                             override a user's limits (monthly tokens 0 = unlimited)
  limits clear <mobile> [daily-prompts | monthly-tokens]
                                             back to the tier's limits (both unless one is named)
  top [--month YYYY-MM] [--limit N]          the users with the most tokens in a month (default: this one, 10)

  --json    print JSON instead of text
Exit codes: 0 done, 1 an error in the data (unknown user, malformed number), 2 a usage error.`;

class UsageError extends Error {}

const OPTIONS = {
  month: { type: 'string' },
  limit: { type: 'string' },
  'daily-prompts': { type: 'string' },
  'monthly-tokens': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return fail(2, `${(error as Error).message}\n\n${HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return fail(values.help ? 0 : 2, HELP);

  loadDotEnvFile();
  const config = loadConfig();
  const dataSource = await new DataSource(dataSourceOptions(config.databaseUrl, 1)).initialize();
  try {
    const admin = new UsageAdmin(dataSource, config);
    const output = await run(admin, positionals, values);
    console.log(values.json ? JSON.stringify(output.json, null, 2) : output.text);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) return fail(2, `${error.message}\n\n${HELP}`);
    if (error instanceof AdminError) return fail(1, error.message);
    throw error;
  } finally {
    await dataSource.destroy();
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

async function run(
  admin: UsageAdmin,
  positionals: string[],
  values: Values,
): Promise<{ text: string; json: unknown }> {
  const [command, ...rest] = positionals;
  if (command === 'usage' && rest.length === 1) {
    const usage = await admin.usage(rest[0], values.month);
    return { text: describeUsage(usage), json: usage };
  }
  if (command === 'limits' && rest.length === 2 && rest[0] === 'set') {
    const changes = {
      ...(values['daily-prompts'] !== undefined
        ? { dailyPrompts: count(values['daily-prompts'], '--daily-prompts') }
        : {}),
      ...(values['monthly-tokens'] !== undefined
        ? { monthlyTokens: count(values['monthly-tokens'], '--monthly-tokens') }
        : {}),
    };
    if (Object.keys(changes).length === 0)
      throw new UsageError('limits set needs --daily-prompts or --monthly-tokens');
    const limits = await admin.setLimits(rest[1], changes);
    return { text: `Limits of ${rest[1]} now: ${describeLimits(limits)}`, json: limits };
  }
  if (command === 'limits' && rest[0] === 'clear' && (rest.length === 2 || rest.length === 3)) {
    const which = rest[2];
    if (which !== undefined && which !== 'daily-prompts' && which !== 'monthly-tokens') {
      throw new UsageError(`limits clear takes daily-prompts or monthly-tokens, not "${which}"`);
    }
    const changes = {
      ...(which !== 'monthly-tokens' ? { dailyPrompts: null } : {}),
      ...(which !== 'daily-prompts' ? { monthlyTokens: null } : {}),
    };
    const limits = await admin.setLimits(rest[1], changes);
    return { text: `Limits of ${rest[1]} now: ${describeLimits(limits)}`, json: limits };
  }
  if (command === 'top' && rest.length === 0) {
    const users = await admin.top(
      values.month,
      values.limit === undefined ? 10 : count(values.limit, '--limit', 1),
    );
    const rows = users.map(
      (user, index) =>
        `${String(index + 1).padStart(3)}  ${user.mobile.padEnd(16)} ${user.tier.padEnd(6)} ${String(user.usedTokens).padStart(12)} used ${String(user.reservedTokens).padStart(8)} reserved`,
    );
    return { text: rows.length ? rows.join('\n') : 'Nobody used any tokens in that month', json: users };
  }
  throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
}

function count(value: string, option: string, minimum = 0): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < minimum) {
    throw new AdminError(`${option} must be a whole number of at least ${minimum}, not "${value}"`);
  }
  return Number(value);
}

function describeLimits(limits: UserUsage['limits']): string {
  const source = (overridden: boolean): string => (overridden ? 'override' : 'tier');
  const tokens = limits.monthlyTokens === 0 ? 'unlimited' : String(limits.monthlyTokens);
  return (
    `${limits.dailyPrompts} prompts a day (${source(limits.overridden.dailyPrompts)}), ` +
    `${tokens} tokens a month (${source(limits.overridden.monthlyTokens)})`
  );
}

const USAGE_COLUMNS = [
  'day',
  'prompts',
  'completed',
  'failed',
  'cancelled',
  'prompt tk',
  'output tk',
  'thinking',
  'system',
];

/** A row of the day table: the day left-aligned, the counters right-aligned, 10 characters each. */
const tableRow = (cells: (string | number)[]): string =>
  cells.map((cell, index) => (index === 0 ? String(cell).padEnd(10) : String(cell).padStart(10))).join(' ');

function describeUsage(usage: UserUsage): string {
  const { tokens } = usage;
  const days = usage.days.map((day) =>
    tableRow([
      day.day,
      day.prompts,
      day.repliesCompleted,
      day.repliesFailed,
      day.repliesCancelled,
      day.promptTokens,
      day.outputTokens,
      day.thinkingTokens,
      day.systemTokens,
    ]),
  );
  return [
    `${usage.user.mobile} (${usage.user.tier}, user ${usage.user.id})`,
    `Limits: ${describeLimits(usage.limits)}`,
    `${usage.month}: ${tokens.usedTokens} tokens used, ${tokens.reservedTokens} reserved, ` +
      `${tokens.remaining === null ? 'no budget' : `${tokens.remaining} remaining`}; resets ${tokens.resetsAt}`,
    ...(days.length ? [tableRow(USAGE_COLUMNS), ...days] : ['No usage this month']),
  ].join('\n');
}

function fail(code: number, message: string): number {
  (code === 0 ? console.log : console.error)(message);
  return code;
}

main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    console.error(error instanceof ConfigValidationError ? error.message : error);
    process.exitCode = 1;
  });
