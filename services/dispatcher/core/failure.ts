import type { FailureInfo } from '../../../lib/events';
import { TRAINER_EXIT } from '../../../lib/runspec';

/**
 * Failure codes the dispatcher puts on FAILED and CANCELLED runs. Kubernetes'
 * condition reasons are kept verbatim in the run's message; the code is what
 * consumers match on.
 */
export const FAILURE_CODES = {
  BAD_INPUT: 'BAD_INPUT',
  BACKOFF_LIMIT_EXCEEDED: 'BACKOFF_LIMIT_EXCEEDED',
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  JOB_FAILED: 'JOB_FAILED',
  JOB_NOT_FOUND: 'JOB_NOT_FOUND',
  SUBMIT_REJECTED: 'SUBMIT_REJECTED',
  CANCELLED: 'CANCELLED',
  SUPERSEDED: 'SUPERSEDED',
} as const;

/** A Job's Failed (or FailureTarget) condition reason → failure. */
export function failureForJobReason(reason: string, message: string | null): FailureInfo {
  const text = message ? `${reason}: ${message}` : reason;
  switch (reason) {
    case 'PodFailurePolicy':
      // Only our FailJob rule ends a Job this way: the trainer exited BAD_INPUT.
      return { code: FAILURE_CODES.BAD_INPUT, message: text, retriable: false };
    case 'DeadlineExceeded':
      return { code: FAILURE_CODES.DEADLINE_EXCEEDED, message: text, retriable: true };
    case 'BackoffLimitExceeded':
      return { code: FAILURE_CODES.BACKOFF_LIMIT_EXCEEDED, message: text, retriable: true };
    default:
      return { code: FAILURE_CODES.JOB_FAILED, message: text, retriable: true };
  }
}

/** How the local executor reads a finished trainer process, mirroring the Job's podFailurePolicy. */
export type ExitVerdict = { readonly outcome: 'success' } | { readonly outcome: 'fail'; readonly failure: FailureInfo } | { readonly outcome: 'retry' };

/** `code` is null when the process died by a signal: that counts against the retries, as a crash does in a Job. */
export function verdictForExit(code: number | null): ExitVerdict {
  if (code === TRAINER_EXIT.SUCCESS) return { outcome: 'success' };
  if (code === TRAINER_EXIT.BAD_INPUT) {
    return { outcome: 'fail', failure: { code: FAILURE_CODES.BAD_INPUT, message: `trainer exited with ${code} (BAD_INPUT)`, retriable: false } };
  }
  // RETRIABLE (75) and any other code count against the retries (podFailurePolicy Count).
  return { outcome: 'retry' };
}
