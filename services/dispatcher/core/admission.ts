import type { InFlightPolicy } from '../../../lib/catalog';
import type { RetrainReason, RunState } from '../../../lib/events';
import { isInFlight } from './states';

/**
 * Admission: which queued runs may start now, and which runs a newer request
 * supersedes. Pure: the engine feeds it every non-terminal run and applies the
 * verdict.
 *
 * - At most one in-flight run per model. With the model's inFlightPolicy
 *   `queue`, later requests wait in QUEUED until it ends; with `supersede`, the
 *   newest request cancels the in-flight run (and older queued ones) and starts.
 * - At most `maxConcurrent` runs in flight overall.
 * - Among queued runs: priority by reason (MANUAL > DRIFT > PERFORMANCE > VOLUME >
 *   AGE), then the oldest first; the run id breaks ties so the order is total.
 */

export const REASON_PRIORITY: { readonly [R in RetrainReason]: number } = {
  MANUAL: 50,
  DRIFT: 40,
  PERFORMANCE: 30,
  VOLUME: 20,
  AGE: 10,
};

export interface AdmissionRun {
  readonly runId: string;
  readonly modelId: string;
  readonly state: RunState;
  readonly priority: number;
  readonly createdAt: number;
}

export interface AdmissionLimits {
  readonly maxConcurrent: number;
  readonly policyOf: (modelId: string) => InFlightPolicy;
}

export interface Supersession {
  readonly runId: string;
  readonly supersededBy: string;
}

export interface AdmissionDecision {
  /** Queued runs to start now, in order. */
  readonly start: readonly string[];
  /** Runs to cancel because a newer request for the same model supersedes them. */
  readonly cancel: readonly Supersession[];
}

/** Higher priority first, then older, then by run id. */
export function byPriorityThenAge(a: AdmissionRun, b: AdmissionRun): number {
  return b.priority - a.priority || a.createdAt - b.createdAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);
}

/** Newest first (supersede keeps the latest request), run id breaking ties. */
const newestFirst = (a: AdmissionRun, b: AdmissionRun): number => b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0);

export function admit(runs: readonly AdmissionRun[], limits: AdmissionLimits): AdmissionDecision {
  const byModel = new Map<string, AdmissionRun[]>();
  for (const run of runs) {
    if (run.state !== 'QUEUED' && !isInFlight(run.state)) continue;
    const list = byModel.get(run.modelId) ?? [];
    list.push(run);
    byModel.set(run.modelId, list);
  }

  const cancel: Supersession[] = [];
  const candidates: AdmissionRun[] = [];
  let inFlight = 0;
  for (const [modelId, list] of byModel) {
    const queued = list.filter((r) => r.state === 'QUEUED');
    const flying = list.filter((r) => isInFlight(r.state));
    if (limits.policyOf(modelId) === 'supersede' && queued.length > 0) {
      const newest = [...queued].sort(newestFirst)[0]!;
      for (const run of [...flying, ...queued]) if (run !== newest) cancel.push({ runId: run.runId, supersededBy: newest.runId });
      candidates.push(newest);
      continue;
    }
    if (flying.length > 0) {
      inFlight += flying.length;
      continue;
    }
    const next = [...queued].sort(byPriorityThenAge)[0];
    if (next) candidates.push(next);
  }

  const slots = Math.max(0, limits.maxConcurrent - inFlight);
  const start = candidates.sort(byPriorityThenAge).slice(0, slots).map((r) => r.runId);
  return { start, cancel };
}
