import type { FailureInfo, RunState, TrainingRun } from '../../../lib/events';

/** One line of a run's history, kept in memory for the API. */
export interface HistoryEntry {
  readonly state: RunState;
  readonly at: number;
  readonly message: string | null;
}

/**
 * What the dispatcher knows about a run: the latest TrainingRun it published,
 * plus what that event cannot carry (the request's segment and requester and the
 * attempt's nonce travel in message headers, see engine/messages.ts).
 */
export interface RunRecord extends TrainingRun {
  readonly segment: string | null;
  readonly requestedBy: string | null;
  /** The attempt's nonce (core/names.ts RUN_NONCE_PATTERN); null for a run recorded before nonces. */
  readonly nonce: string | null;
  readonly history: readonly HistoryEntry[];
}

/** An executor's view of a run's workload: what phase the Job (or process) is in. */
export type ExecutionPhase = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface Observation {
  readonly jobName: string;
  readonly phase: ExecutionPhase;
  /** 1 + pods (or processes) that failed so far. */
  readonly attempt: number;
  readonly message: string | null;
  /** Set when phase is FAILED. */
  readonly failure: FailureInfo | null;
}

/** Identifies a run to an executor: enough to derive the Job name and check ownership. */
export interface RunRef {
  readonly runId: string;
  readonly modelId: string;
  readonly nonce: string | null;
}
