import { type ModelSpec, segmentOf } from '../../../lib/catalog';
import { ApiError } from './errors';
import { API_LIMITS } from './limits';

/**
 * The checks of a submitted run that need the clock or the catalog (the static
 * ones are in schemas.ts). Pure: they return the error to throw, or the value.
 */

export interface Window {
  readonly startTime: number;
  readonly endTime: number;
}

/** The requested window, or the model's lookback up to now; refused when it ends in the future or spans more than the lookback. */
export function dataWindowFor(requested: Window | undefined, model: ModelSpec, now: number): Window {
  const lookback = model.training.lookbackMs;
  if (requested === undefined) return { startTime: Math.max(0, now - lookback), endTime: now };
  const latest = now + API_LIMITS.dataWindowFutureSkewMs;
  if (requested.endTime > latest) {
    throw new ApiError(400, 'VALIDATION', `dataWindow.endTime: ends after now + ${API_LIMITS.dataWindowFutureSkewMs} ms (${new Date(latest).toISOString()})`, 'dataWindow.endTime');
  }
  const span = requested.endTime - requested.startTime;
  if (span > lookback) {
    throw new ApiError(400, 'VALIDATION', `dataWindow.startTime: the window spans ${span} ms, more than model ${model.id}'s lookback of ${lookback} ms`, 'dataWindow.startTime');
  }
  return requested;
}

/**
 * A family member's segment is the part of its id after the family's: given or
 * not, it must agree with the id, so the run, its events and its artifacts all
 * name the same member. A model that is not a family member takes no segment.
 */
export function segmentFor(modelId: string, model: ModelSpec, requested: string | undefined): string | null {
  const fromId = model.id === modelId ? null : segmentOf(modelId);
  if (requested === undefined || requested === fromId) return fromId;
  const why = fromId === null ? `model ${modelId} is not a family member` : `member ${modelId} has segment ${JSON.stringify(fromId)}`;
  throw new ApiError(400, 'VALIDATION', `segment: ${why}`, 'segment');
}
