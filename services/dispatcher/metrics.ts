import type { Counter, Gauge, Histogram } from 'prom-client';
import type { ServiceMetrics } from '../../lib/metrics';
import { TRANSITIONS } from './core/states';

/** roundhouse_dispatcher_* (STYLE.md item 12): labels of low cardinality — model, never run id. */
export interface DispatcherMetrics {
  /** Runs per model and state, as the dispatcher knows them now. */
  readonly runs: Gauge<'model' | 'state'>;
  readonly transitions: Counter<'model' | 'from' | 'to'>;
  /** Stale or impossible state changes that were ignored (STYLE.md item 6). */
  readonly illegalTransitions: Counter<'model' | 'from' | 'to'>;
  /** From submission (or creation, after a restart) to the end state. */
  readonly runDuration: Histogram<'model' | 'state'>;
  readonly apiRequests: Counter<'route' | 'method' | 'status'>;
  readonly executorErrors: Counter<'executor' | 'operation' | 'code'>;
  /** Runs created without pinned offsets (reason: topic_missing, timeout, error). */
  readonly unpinnedRuns: Counter<'model' | 'reason'>;
}

export function createDispatcherMetrics(metrics: ServiceMetrics): DispatcherMetrics {
  return {
    runs: metrics.gauge('runs', 'Training runs by model and state.', ['model', 'state']),
    transitions: metrics.counter('run_transitions_total', 'Run state changes published.', ['model', 'from', 'to']),
    illegalTransitions: metrics.counter('run_illegal_transitions_total', 'State changes refused by the transition table (stale observations).', ['model', 'from', 'to']),
    runDuration: metrics.histogram('run_duration_seconds', 'Run duration from submission to its end state.', ['model', 'state'], [30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400, 28_800, 86_400]),
    apiRequests: metrics.counter('api_requests_total', 'HTTP API requests by route and status.', ['route', 'method', 'status']),
    executorErrors: metrics.counter('executor_errors_total', 'Executor calls that failed (API server, process spawn, watch).', ['executor', 'operation', 'code']),
    unpinnedRuns: metrics.counter('unpinned_runs_total', 'Runs created without pinned data offsets (a feature or label topic missing, the lookup timed out or failed): their trainer reads to the end offsets at its start.', ['model', 'reason']),
  };
}

/** Counters with known label values start at 0 so increase() counts their first event: every legal transition per model. */
export function initialiseDispatcherCounters(metrics: DispatcherMetrics, modelIds: readonly string[]): void {
  for (const model of modelIds) {
    for (const [from, targets] of Object.entries(TRANSITIONS)) for (const to of targets) metrics.transitions.inc({ model, from, to }, 0);
  }
}
