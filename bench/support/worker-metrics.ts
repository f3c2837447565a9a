import { METRICS_TOKEN } from './stack';

/**
 * Scrapes the worker's Prometheus endpoint; undefined when it has none (then the IPC probe and /proc are used).
 * prom-client resets its event-loop histogram at every scrape, so a scrape covers the time since the previous one.
 */
export async function scrapeMetrics(workerUrl: string): Promise<Map<string, number> | undefined> {
  const response = await fetch(`${workerUrl}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    signal: AbortSignal.timeout(5000),
  }).catch(() => undefined);
  if (response?.status !== 200) return undefined;
  const values = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    // `name{labels} value`: keyed by the bare name (the first series of it), the worker labels each with its app.
    const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})? (\S+)/.exec(line);
    if (match && !values.has(match[1])) values.set(match[1], Number(match[2]));
  }
  return values;
}
