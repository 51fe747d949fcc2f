import type { RefirePolicy } from '../../../lib/catalog';
import type { RetrainReason } from '../../../lib/events';

/**
 * What became of a request, as the trigger's follower reads it from
 * roundhouse.training-runs, roundhouse.evaluations and roundhouse.model-ready
 * (core/outcome.ts). PENDING: not known to have ended (not yet queued, queued,
 * running, or succeeded and awaiting its evaluation or its ModelReady).
 */
export type RunOutcome = 'PENDING' | 'PROMOTED' | 'FAILED' | 'REJECTED' | 'CANCELLED';

/** An outcome after which a rule may fire again (after the backoff). */
export type Unpromoted = Extract<RunOutcome, 'FAILED' | 'REJECTED' | 'CANCELLED'>;

export function isUnpromoted(outcome: RunOutcome): outcome is Unpromoted {
  return outcome === 'FAILED' || outcome === 'REJECTED' || outcome === 'CANCELLED';
}

/**
 * A member's requests for its current champion version, checkpointed with the
 * member: a fixed small record whatever the history, so state stays bounded
 * (issue 13: VOLUME and AGE fired once per champion version, and a failed first
 * run left a model without one for ever).
 */
export interface AttemptState {
  /** Champion version the attempts count against (0: no champion yet). */
  version: number;
  /** Requests in a row, for this version, whose run ended without a promotion: the next request's attempt number. */
  failures: number;
  /** The latest request for this version; null before the first. */
  last: LastRequest | null;
}

export interface LastRequest {
  requestId: string;
  reason: RetrainReason;
  /** Event time of the decision (the window's end). */
  at: number;
  /** Null while PENDING (or PROMOTED and the new champion not seen yet). */
  outcome: Unpromoted | null;
  /** Event time (window end) at which the outcome was learnt: the backoff counts from here. */
  learntAt: number | null;
}

export function newAttempts(version: number): AttemptState {
  return { version, failures: 0, last: null };
}

export interface Observed {
  readonly state: AttemptState;
  /** The champion changed since the last window: a promotion (or a rollback) starts the count again. */
  readonly championChanged: boolean;
  /** The outcome learnt in this window, if any. */
  readonly learnt: Unpromoted | null;
}

/**
 * Folds what is known now into the record before a decision: a new champion
 * resets it; the last request's outcome, once it is FAILED, REJECTED or
 * CANCELLED, counts one more failure, learnt at `windowEnd`.
 */
export function observe(state: AttemptState | undefined, championVersion: number, outcomeOf: (requestId: string) => RunOutcome, windowEnd: number): Observed {
  if (!state) return { state: newAttempts(championVersion), championChanged: false, learnt: null };
  if (state.version !== championVersion) return { state: newAttempts(championVersion), championChanged: true, learnt: null };
  const last = state.last;
  if (last === null || last.outcome !== null) return { state, championChanged: false, learnt: null };
  const outcome = outcomeOf(last.requestId);
  if (!isUnpromoted(outcome)) return { state, championChanged: false, learnt: null };
  return { state: { ...state, failures: state.failures + 1, last: { ...last, outcome, learntAt: windowEnd } }, championChanged: false, learnt: outcome };
}

/** The record after a request was made (attempt `state.failures`). */
export function requested(state: AttemptState, requestId: string, reason: RetrainReason, at: number): AttemptState {
  return { ...state, last: { requestId, reason, at, outcome: null, learntAt: null } };
}

/** The wait after `failures` runs in a row without a promotion: backoff × 2^(failures−1), capped; 0 before any. */
export function backoffMs(failures: number, policy: RefirePolicy): number {
  if (failures <= 0) return 0;
  // 2^(n−1) overflows to Infinity for huge n; min() still caps it.
  return Math.min(policy.backoffMs * 2 ** (failures - 1), policy.maxBackoffMs);
}

/** Awaiting the outcome of the last request: nothing else is requested meanwhile. */
export function awaitingOutcome(state: AttemptState): boolean {
  return state.last !== null && state.last.outcome === null;
}

/** Event time before which the next request waits (null: no wait). */
export function backoffUntil(state: AttemptState, policy: RefirePolicy): number | null {
  const last = state.last;
  if (last === null || last.outcome === null || last.learntAt === null || state.failures === 0) return null;
  return last.learntAt + backoffMs(state.failures, policy);
}
