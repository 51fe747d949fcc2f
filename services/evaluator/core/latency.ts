import type { RetrainRequested } from '../../../lib/events';

/**
 * Wall-clock milliseconds from a request to its promotion, or null when the
 * request has no wall-clock time. A rule-driven request's requestedAt is event
 * time (the end of the window judged): on data 2 h behind, subtracting it from
 * the wall clock read ~2 h for a 30 s loop (issue 13). Its emittedAt is the
 * trigger's wall clock at publication; a manual request's requestedAt is the
 * API's wall clock, so it serves for manual requests written before emittedAt.
 * An older trigger request has neither, and is not measured rather than
 * measured in two clocks.
 */
export function requestToPromotionMs(request: Pick<RetrainRequested, 'emittedAt' | 'requestedAt' | 'requestedBy'>, promotedAt: number): number | null {
  const start = request.emittedAt ?? (request.requestedBy !== null && request.requestedBy !== 'trigger' ? request.requestedAt : null);
  return start === null ? null : Math.max(0, promotedAt - start);
}
