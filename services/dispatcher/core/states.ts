import type { RunState } from '../../../lib/events';

/**
 * The run state machine as one table (STYLE.md item 6). A transition that is not
 * in the table is illegal: callers log it and ignore it (typically a stale watch
 * event or a resync racing a newer update).
 *
 *   QUEUED    → SUBMITTED  (Job created or adopted)
 *             → CANCELLED  (API cancel, superseded)
 *             → FAILED     (the executor refused the Job: invalid spec, name taken)
 *   SUBMITTED → RUNNING    (a pod is up)
 *             → FAILED     (failed before any pod ran: deadline while pending, lost Job)
 *             → CANCELLED
 *   RUNNING   → SUCCEEDED | FAILED | CANCELLED
 *
 * SUBMITTED → SUCCEEDED is deliberately absent: a Job that finished between two
 * observations is reported as RUNNING then SUCCEEDED, so every successful run
 * tells the same story on roundhouse.training-runs.
 */
export const TRANSITIONS: { readonly [S in RunState]: readonly RunState[] } = {
  QUEUED: ['SUBMITTED', 'CANCELLED', 'FAILED'],
  SUBMITTED: ['RUNNING', 'FAILED', 'CANCELLED'],
  RUNNING: ['SUCCEEDED', 'FAILED', 'CANCELLED'],
  SUCCEEDED: [],
  FAILED: [],
  CANCELLED: [],
};

export function canTransition(from: RunState, to: RunState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(state: RunState): boolean {
  return TRANSITIONS[state].length === 0;
}

/** Holding (or about to hold) cluster resources: counts against the per-model and global limits. */
export function isInFlight(state: RunState): boolean {
  return state === 'SUBMITTED' || state === 'RUNNING';
}
