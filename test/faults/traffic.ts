import { ApiClient } from '../support/http';

/** One request as a client saw it. `status` 0 means no answer within the client's timeout (a hang). */
export interface Sample {
  route: string;
  status: number;
  ms: number;
  /** When the request was sent (epoch ms). */
  at: number;
  /** For 503s: whether the body was the documented problem (`SERVICE_UNAVAILABLE`, application/problem+json). */
  wellFormed503?: boolean;
}

export interface Answer<T> {
  status: number;
  body: T;
}

const CLIENT_TIMEOUT_MS = 15_000;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends requests as clients do and keeps, for each, its route template, status and latency. */
export class TrafficLog {
  readonly samples: Sample[] = [];

  async send<T = Record<string, unknown>>(
    client: ApiClient,
    route: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> {
    const [method] = route.split(' ');
    const started = performance.now();
    try {
      const response = await fetch(`${client.baseUrl}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(client.accessToken ? { authorization: `Bearer ${client.accessToken}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      const text = await response.text();
      const parsed = (text ? JSON.parse(text) : undefined) as T;
      this.record(
        route,
        response.status,
        started,
        response.status === 503 ? isOutageProblem(response, parsed) : undefined,
      );
      return { status: response.status, body: parsed };
    } catch (error) {
      if ((error as Error).name !== 'TimeoutError') throw error;
      this.record(route, 0, started);
      return { status: 0, body: undefined as T };
    }
  }

  /** Times something that is not a plain JSON request (a stream read), under its route template. */
  async time<T extends { status: number; wellFormed503?: boolean }>(
    route: string,
    operation: () => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const result = await operation();
    this.record(route, result.status, started, result.status === 503 ? result.wellFormed503 : undefined);
    return result;
  }

  private record(route: string, status: number, started: number, wellFormed503?: boolean): void {
    const ms = performance.now() - started;
    this.samples.push({
      route,
      status,
      ms,
      at: Date.now() - ms,
      ...(wellFormed503 === undefined ? {} : { wellFormed503 }),
    });
  }

  /** The requests that were in flight at some point between `from` and `to` (epoch ms). */
  between(from: number, to: number): Sample[] {
    return this.samples.filter((sample) => sample.at <= to && sample.at + sample.ms >= from);
  }

  /** Count, statuses and latency percentiles per route template. */
  summary(): RouteSummary[] {
    const routes = [...new Set(this.samples.map((sample) => sample.route))].sort();
    return routes.map((route) => {
      const samples = this.samples.filter((sample) => sample.route === route);
      const latencies = samples.map((sample) => sample.ms).sort((a, b) => a - b);
      const statuses: Record<string, number> = {};
      for (const { status } of samples) statuses[status] = (statuses[status] ?? 0) + 1;
      return {
        route,
        count: samples.length,
        statuses,
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: Math.round(latencies.at(-1) ?? 0),
      };
    });
  }

  /** The summary as a text table, latencies in milliseconds. */
  table(): string {
    const line = (cells: (string | number)[], statuses: string): string =>
      `${String(cells[0]).padEnd(46)}${cells
        .slice(1)
        .map((cell) => String(cell).padStart(8))
        .join('')}  ${statuses}`;
    return [
      line(['route', 'count', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], 'statuses'),
      ...this.summary().map((row) =>
        line([row.route, row.count, row.p50, row.p95, row.p99, row.max], JSON.stringify(row.statuses)),
      ),
    ].join('\n');
  }
}

export interface RouteSummary {
  route: string;
  count: number;
  statuses: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);
}

function isOutageProblem(response: Response, body: unknown): boolean {
  const problem = body as { status?: unknown; code?: unknown } | undefined;
  return (
    (response.headers.get('content-type') ?? '').startsWith('application/problem+json') &&
    problem?.status === 503 &&
    problem.code === 'SERVICE_UNAVAILABLE'
  );
}

/**
 * The rule while a dependency is down: every request either succeeds or is a well-formed 503, none is a 500 (or
 * any other 5xx), and none takes longer than `boundMs`.
 */
export function expectSuccessOrQuick503(samples: Sample[], boundMs: number): void {
  const broken = samples.filter(
    (sample) =>
      !(sample.status >= 200 && sample.status < 300) &&
      !(sample.status === 503 && sample.wellFormed503 === true),
  );
  expect(broken).toEqual([]);
  expect(samples.filter((sample) => sample.ms > boundMs)).toEqual([]);
}

/** An account of the requests made while a dependency was down, per route. */
export function describeOutage(name: string, samples: Sample[]): string {
  const unavailable = samples.filter((sample) => sample.status === 503).length;
  const maxMs = Math.round(Math.max(0, ...samples.map((sample) => sample.ms)));
  const outage = new TrafficLog();
  outage.samples.push(...samples);
  return (
    `${name}: ${samples.length} requests during the outage, ${unavailable} × 503, ` +
    `${samples.length - unavailable} succeeded, slowest ${maxMs} ms\n${outage.table()}`
  );
}
