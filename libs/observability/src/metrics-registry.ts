import { collectDefaultMetrics, Registry } from 'prom-client';

export type ProcessRole = 'api' | 'worker';

/**
 * A Prometheus registry for one process, with Node's default metrics (CPU, resident memory, heap, GC, event-loop
 * delay). Every series carries `app`, so one dashboard can tell api and worker apart.
 */
export function createMetricsRegistry(role: ProcessRole): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app: role });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency buckets in seconds, from a cache hit (~1 ms) to a long Gemini answer (a minute). */
export const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
