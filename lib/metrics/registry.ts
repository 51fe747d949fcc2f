import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One prom-client Registry per service (never the global one, so two services in
 * one process — the embedded demo — do not collide). Names follow
 * roundhouse_<service>_<thing>_<unit|total>; labels stay low-cardinality
 * (model, topic, reason — never a run id).
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  readonly service: string;
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string>(name: string, help: string, labelNames?: readonly L[], buckets?: number[]): Histogram<L>;
}

const SERVICE_NAME = /^[a-z][a-z0-9_]*$/;
const METRIC_SUFFIX = /^[a-z][a-z0-9_]*$/;

export interface ServiceMetricsOptions {
  /** Collect Node.js process metrics (heap, event loop lag, GC). Off in unit tests. */
  readonly defaultMetrics?: boolean;
  /** Share a registry between services (embedded demo); defaults to a fresh one. */
  readonly registry?: Registry;
}

export function createServiceMetrics(service: string, options: ServiceMetricsOptions = {}): ServiceMetrics {
  if (!SERVICE_NAME.test(service)) throw new Error(`invalid service name for metrics: ${service}`);
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics) {
    const prefix = `roundhouse_${service}_`;
    collectDefaultMetrics({ register: registry, prefix });
    // prom-client exports these three as gauges named *_total, which Prometheus
    // reserves for counters (`promtool check metrics` refuses them). Each is the
    // sum of the per-type gauge without the suffix (nodejs_active_handles{type}),
    // so dropping them loses nothing: query sum(...) of that one instead.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      registry.removeSingleMetric(prefix + name);
    }
  }

  const fullName = (name: string): string => {
    if (!METRIC_SUFFIX.test(name)) throw new Error(`invalid metric name: ${name}`);
    return `roundhouse_${service}_${name}`;
  };
  // Re-registering the same name returns the existing metric, so factories can be
  // called from several places (e.g. each consumer runner) without clashing.
  const existing = <M>(name: string): M | undefined => registry.getSingleMetric(name) as M | undefined;

  return {
    registry,
    service,
    counter: (name, help, labelNames = []) =>
      existing(fullName(name)) ?? new Counter({ name: fullName(name), help, labelNames: [...labelNames], registers: [registry] }),
    gauge: (name, help, labelNames = []) =>
      existing(fullName(name)) ?? new Gauge({ name: fullName(name), help, labelNames: [...labelNames], registers: [registry] }),
    histogram: (name, help, labelNames = [], buckets) =>
      existing(fullName(name)) ??
      new Histogram({ name: fullName(name), help, labelNames: [...labelNames], registers: [registry], ...(buckets ? { buckets } : {}) }),
  };
}
