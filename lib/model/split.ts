import { ErrorCodes, RoundhouseError } from '../errors';

/**
 * Out-of-time split: rows sorted by event time, the latest `holdoutFraction`
 * of them are the holdout, an optional `validationFraction` just before it is
 * the validation slice, the rest trains. A model is judged on the future it
 * did not see, as it will be in production.
 *
 * Rows sharing an event time never straddle a boundary: the tie goes to the
 * later slice, so every training time is strictly before every validation
 * time, and every validation time strictly before every holdout time. The
 * slices can therefore be a little larger than their fractions (by the size of
 * a tie), and a slice of a window whose times are all equal can be empty —
 * the caller decides whether what is left is enough.
 */
export interface SplitOptions {
  /** Share of rows, the most recent, held out; in (0, 1). */
  readonly holdoutFraction: number;
  /** Share of rows just before the holdout; in [0, 1), holdout + validation < 1. Default 0. */
  readonly validationFraction?: number;
}

export interface TimeSplit {
  /** Row indices, each slice in time order (ties by original index). */
  readonly train: Int32Array;
  readonly validation: Int32Array;
  readonly holdout: Int32Array;
  /** Event time of the first holdout row; null when the holdout is empty. */
  readonly holdoutStartTime: number | null;
  /** Event time of the first validation row; null when there is none. */
  readonly validationStartTime: number | null;
}

export function outOfTimeSplit(times: ArrayLike<number>, options: SplitOptions): TimeSplit {
  const h = options.holdoutFraction;
  const v = options.validationFraction ?? 0;
  if (!(h > 0 && h < 1)) throw invalid(`holdoutFraction must be in (0, 1), got ${h}`, 'holdoutFraction');
  if (!(v >= 0 && v < 1)) throw invalid(`validationFraction must be in [0, 1), got ${v}`, 'validationFraction');
  if (!(h + v < 1)) throw invalid(`holdoutFraction + validationFraction must be < 1, got ${h + v}`, 'validationFraction');
  const n = times.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(times[i] as number)) throw invalid(`event time of row ${i} is ${String(times[i])}`, 'times');
  }
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => (times[a] as number) - (times[b] as number) || a - b);
  const at = (i: number): number => times[order[i] as number] as number;
  // Cut positions (first row of the later slice), moved back so that ties stay together.
  const backToTie = (cut: number): number => {
    let c = cut;
    while (c > 0 && c < n && at(c - 1) === at(c)) c--;
    return c;
  };
  const holdoutCut = backToTie(n - Math.ceil(h * n));
  const validationCut = v === 0 ? holdoutCut : Math.min(holdoutCut, backToTie(Math.max(0, holdoutCut - Math.ceil(v * n))));
  return {
    train: order.slice(0, validationCut),
    validation: order.slice(validationCut, holdoutCut),
    holdout: order.slice(holdoutCut),
    holdoutStartTime: holdoutCut < n ? at(holdoutCut) : null,
    validationStartTime: validationCut < holdoutCut ? at(validationCut) : null,
  };
}

function invalid(message: string, key: string): RoundhouseError {
  return new RoundhouseError(ErrorCodes.VALIDATION, `outOfTimeSplit: ${message}`, { retriable: false, context: { key } });
}
