import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Self time per function, largest first. */
  functions: { name: string; selfMs: number; share: number }[];
  /** Self time per package (node_modules/<name>), node internals, app code, or idle/GC. */
  packages: { name: string; selfMs: number; share: number }[];
}

function packageOf(url: string, functionName: string): string {
  if (/\/(apps|libs)\/[^/]+\/src\//.test(url)) return 'app code';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (url.startsWith('node:')) return 'node internals';
  return url ? url : `(${functionName || 'native'})`;
}

/** Reads a V8 .cpuprofile and totals self time by function and by package. */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let totalMicros = 0;
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id);
    const micros = profile.timeDeltas[index] ?? 0;
    if (!frame) return;
    totalMicros += micros;
    const location = frame.url
      ? `${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    const name = `${frame.functionName || '(anonymous)'} ${location}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + micros);
    const owner = packageOf(frame.url, frame.functionName);
    packages.set(owner, (packages.get(owner) ?? 0) + micros);
  });
  const rank = (totals: Map<string, number>) =>
    [...totals.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({
        name,
        selfMs: Math.round(micros / 1000),
        share: Math.round((micros / totalMicros) * 1000) / 10,
      }));
  return {
    file,
    totalMs: Math.round(totalMicros / 1000),
    functions: rank(functions),
    packages: rank(packages),
  };
}

/** Summaries of the profiles written into `directory` since `since` (this run's). */
export function summarizeProfiles(directory: string, since: Date): ProfileSummary[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(directory, name))
    .filter((file) => statSync(file).mtime >= since)
    .map((file) => summarizeProfile(file));
}

export function profileSummaryText(summary: ProfileSummary): string {
  const lines = [`${summary.file} (${summary.totalMs} ms sampled), self time by package:`];
  for (const entry of summary.packages) lines.push(`  ${String(entry.share).padStart(5)}%  ${entry.name}`);
  lines.push('  by function:');
  for (const entry of summary.functions) lines.push(`  ${String(entry.share).padStart(5)}%  ${entry.name}`);
  return lines.join('\n');
}
