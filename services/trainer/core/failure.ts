import { ErrorCodes, RoundhouseError, errorCode, errorMessage, isRetriable } from '../../../lib/errors';
import type { FailureInfo } from '../../../lib/events';
import { TRAINER_EXIT } from '../../../lib/runspec';

/**
 * What a failed run reports and how it exits. The exit code is what the Job's
 * podFailurePolicy reads: BAD_INPUT (65) fails the Job at once, RETRIABLE (75)
 * counts against backoffLimit. Both follow the error's retriable flag, so the
 * published failure and the exit code never disagree. An unclassified error (a
 * bug: INTERNAL) is not retriable; a crash that never reaches this code (OOM
 * kill, signal) is retried by the Job like any other unknown exit.
 */
export function failureOf(error: unknown): FailureInfo {
  return { code: errorCode(error), message: errorMessage(error), retriable: isRetriable(error) };
}

export function exitCodeFor(failure: FailureInfo | null): number {
  if (failure === null) return TRAINER_EXIT.SUCCESS;
  return failure.retriable ? TRAINER_EXIT.RETRIABLE : TRAINER_EXIT.BAD_INPUT;
}

/** The clear, non-retriable error of a window that cannot train a model. */
export function noDataError(message: string, context: Record<string, number | string>): RoundhouseError {
  return new RoundhouseError(ErrorCodes.NO_DATA, message, { retriable: false, context });
}
