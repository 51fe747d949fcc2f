import type { RunState } from '../../../lib/events';
import { FAILURE_CODES } from './failure';
import type { TransitionDetails } from './run';
import type { Observation } from './types';

/**
 * One step of syncRun (STYLE.md item 4): from the run as recorded, the workload
 * as observed (or none) and the clock, the next action. The engine applies it,
 * re-reads, and steps again until `none`, so a run recorded QUEUED whose Job
 * already finished walks QUEUED → SUBMITTED → RUNNING → SUCCEEDED in one sync.
 * Safe to call any number of times: every action is idempotent and a state is
 * only published when it changes.
 */

export interface ReconcileInput {
  readonly run: { readonly runId: string; readonly state: RunState; readonly updatedAt: number; readonly attempt: number };
  /** The Job (or process) for the run; null when there is none. */
  readonly observed: Observation | null;
  /** Admission lets this run start now (only meaningful while QUEUED). */
  readonly admitted: boolean;
  readonly now: number;
  /** How long a submitted run's Job may be missing before the run fails (informer lag, API hiccups). */
  readonly lostJobGraceMs: number;
}

export type ReconcileAction =
  | { readonly kind: 'none' }
  /** Create the workload (idempotent), then record SUBMITTED. */
  | { readonly kind: 'submit' }
  | { readonly kind: 'transition'; readonly to: RunState; readonly details: TransitionDetails }
  /** Delete the workload: the run was cancelled but its Job still runs. */
  | { readonly kind: 'delete' };

const NONE: ReconcileAction = { kind: 'none' };

function finishedOrRunning(observed: Observation, from: 'SUBMITTED' | 'RUNNING'): ReconcileAction {
  const base = { jobName: observed.jobName, attempt: observed.attempt, message: observed.message };
  switch (observed.phase) {
    case 'PENDING':
      return NONE;
    case 'RUNNING':
      return from === 'SUBMITTED' ? { kind: 'transition', to: 'RUNNING', details: base } : NONE;
    case 'SUCCEEDED':
      // Finished between two observations: say RUNNING first (the table has no SUBMITTED → SUCCEEDED).
      return { kind: 'transition', to: from === 'SUBMITTED' ? 'RUNNING' : 'SUCCEEDED', details: base };
    case 'FAILED':
      return { kind: 'transition', to: 'FAILED', details: { ...base, failure: observed.failure } };
  }
}

export function reconcile(input: ReconcileInput): ReconcileAction {
  const { run, observed } = input;
  switch (run.state) {
    case 'QUEUED':
      // A Job that exists already (created just before a crash) is adopted, never recreated.
      if (observed) return { kind: 'transition', to: 'SUBMITTED', details: { jobName: observed.jobName, message: 'adopted existing workload' } };
      return input.admitted ? { kind: 'submit' } : NONE;
    case 'SUBMITTED':
    case 'RUNNING':
      if (observed) return finishedOrRunning(observed, run.state);
      if (input.now - run.updatedAt < input.lostJobGraceMs) return NONE;
      return {
        kind: 'transition',
        to: 'FAILED',
        details: {
          message: 'the workload disappeared (deleted, or removed by its TTL while the dispatcher was away)',
          failure: { code: FAILURE_CODES.JOB_NOT_FOUND, message: `no workload found for run ${run.runId}`, retriable: true },
        },
      };
    case 'CANCELLED':
      return observed && (observed.phase === 'PENDING' || observed.phase === 'RUNNING') ? { kind: 'delete' } : NONE;
    case 'SUCCEEDED':
    case 'FAILED':
      return NONE;
  }
}
