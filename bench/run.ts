/**
 * `npm run bench [-- <scenario> ...]`: builds the apps, runs the scenarios against them, prints the results table,
 * saves the raw results to bench/results/<timestamp>.json and, on a full run, rewrites the results section of
 * docs/benchmarks.md. Scenarios: request-path, pipeline, slow-upstream, streaming, cold-start, latency, big-room. See docs/benchmarks.md.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bigRoomScenario } from './scenarios/big-room';
import { coldStartScenario } from './scenarios/cold-start';
import { latencyScenario } from './scenarios/latency';
import { pipelineScenario } from './scenarios/pipeline';
import { requestPathScenario } from './scenarios/request-path';
import { slowUpstreamScenario } from './scenarios/slow-upstream';
import { streamingScenario } from './scenarios/streaming';
import { AppName, PROFILE_DIR } from './support/app-process';
import { profileSummaryText, summarizeProfiles } from './support/profile-summary';
import { describeMachine, resultsMarkdown, ScenarioReport, writeResultsInto } from './support/report';
import { BENCH_RUNS, DURATION_SCALE, Scenario } from './support/scenario';

// Each scenario has its own result type; the runner only hands a scenario's results back to that scenario.
const SCENARIOS: Scenario[] = [
  requestPathScenario,
  pipelineScenario,
  slowUpstreamScenario,
  streamingScenario,
  coldStartScenario,
  latencyScenario,
  bigRoomScenario,
] as Scenario[];
const RESULTS_DIR = 'bench/results';
const DOCS = 'docs/benchmarks.md';

function selectScenarios(names: string[]): Scenario[] {
  const unknown = names.filter((name) => !SCENARIOS.some((scenario) => scenario.id === name));
  if (unknown.length) {
    throw new Error(
      `Unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.id).join(', ')}`,
    );
  }
  return names.length ? SCENARIOS.filter((scenario) => names.includes(scenario.id)) : SCENARIOS;
}

function profiledApps(): AppName[] {
  const apps = (process.env.BENCH_CPU_PROF ?? '').split(',').filter(Boolean);
  if (apps.some((app) => app !== 'api' && app !== 'worker'))
    throw new Error('BENCH_CPU_PROF: api, worker or both');
  return apps as AppName[];
}

async function main(): Promise<void> {
  const filter = process.argv.slice(2);
  const scenarios = selectScenarios(filter);
  const profile = profiledApps();
  const date = new Date();
  const stamp = date.toISOString().replace(/[:.]/g, '-');
  const logDir = join(RESULTS_DIR, 'logs', stamp);
  mkdirSync(logDir, { recursive: true });

  const reports: ScenarioReport[] = [];
  const raw: Record<string, unknown> = {};
  for (const scenario of scenarios) {
    const results: unknown[] = [];
    try {
      for (let runIndex = 1; runIndex <= scenario.runs; runIndex += 1) {
        console.error(`[bench] ${scenario.id}: run ${runIndex}/${scenario.runs}`);
        results.push(await scenario.runOnce({ runIndex, logDir, profile }));
      }
      reports.push({ id: scenario.id, title: scenario.title, rows: scenario.rows(results) });
    } catch (error) {
      console.error(`[bench] ${scenario.id} failed (app logs in ${logDir}):`, error);
      reports.push({ id: scenario.id, title: scenario.title, rows: [], error: String(error) });
    }
    raw[scenario.id] = results;
  }

  const machine = await describeMachine();
  const command = `npm run bench${filter.length ? ` -- ${filter.join(' ')}` : ''}`;
  const table = resultsMarkdown({ date, machine, command, runs: BENCH_RUNS, reports });
  console.log(`\n${table}\n`);
  const profiles = profile.length ? summarizeProfiles(PROFILE_DIR, date) : [];
  for (const summary of profiles) console.error(`\n${profileSummaryText(summary)}`);
  const settings = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name.startsWith('BENCH_')),
  );
  const file = join(RESULTS_DIR, `${stamp}.json`);
  writeFileSync(file, JSON.stringify({ date, machine, command, settings, reports, profiles, raw }, null, 2));
  console.error(`[bench] raw results: ${file}`);

  const full = filter.length === 0 && DURATION_SCALE === 1;
  if (full || process.env.BENCH_WRITE_DOCS === '1') {
    await writeResultsInto(DOCS, table);
    console.error(`[bench] results written into ${DOCS}`);
  }
  const failed = reports.some((report) => report.error);
  if (!failed && process.env.BENCH_KEEP_LOGS !== '1') rmSync(logDir, { recursive: true, force: true });
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
