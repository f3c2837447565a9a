import { FakeGemini } from '@app/stand-ins';
import { AppName } from '../support/app-process';
import { sleep } from '../support/http';
import { numberFromEnv, ResultRow, RunContext, Scenario } from '../support/scenario';
import { BenchStack } from '../support/stack';
import { median, round } from '../support/stats';

const STARTS = numberFromEnv('BENCH_COLD_STARTS', 5);
const IDLE_MS = 3000;
const MB = 1024 * 1024;

type ColdStartRun = Record<AppName, { readyMs: number[]; idleRssMb: number[] }>;

/** Each app alone, started STARTS times: spawn → first 200 on /health/ready, then RSS after 3 s idle. */
async function runOnce(context: RunContext): Promise<ColdStartRun> {
  const gemini = new FakeGemini();
  await gemini.start();
  const stack = await BenchStack.create({ label: 'coldstart', ...context, gemini });
  const result: ColdStartRun = {
    api: { readyMs: [], idleRssMb: [] },
    worker: { readyMs: [], idleRssMb: [] },
  };
  try {
    for (const app of ['api', 'worker'] as const) {
      for (let start = 0; start < STARTS; start += 1) {
        result[app].readyMs.push(round(await stack.startApp(app)));
        await sleep(IDLE_MS);
        result[app].idleRssMb.push(round((stack.app(app).rssBytes() ?? NaN) / MB));
        await stack.stopApp(app);
      }
    }
    return result;
  } finally {
    await stack.stop();
    await gemini.stop();
  }
}

function rows([run]: ColdStartRun[]): ResultRow[] {
  return (['api', 'worker'] as const).flatMap((app) => [
    {
      metric: `${app}: spawn → first 200 on /health/ready`,
      unit: 'ms',
      value: median(run[app].readyMs),
      runs: run[app].readyMs,
      note: `median of ${STARTS} starts`,
    },
    {
      metric: `${app}: idle RSS ${IDLE_MS / 1000} s after ready`,
      unit: 'MB',
      value: median(run[app].idleRssMb),
      runs: run[app].idleRssMb,
    },
  ]);
}

export const coldStartScenario: Scenario<ColdStartRun> = {
  id: 'cold-start',
  title: '5. Cold start and idle memory',
  runs: 1,
  runOnce,
  rows,
};
