/**
 * Sample quantiles exactly as numpy computes them with method='linear' (the
 * default), including its virtual index (n − 1)·q and its two-sided lerp, so that
 * edges built here equal the ones scripts/stats-fixtures.py builds bit for bit.
 */

/** Quantile q in [0, 1] of an ascending-sorted, non-empty sample. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  // numpy's 'linear' method takes the virtual index as (n - 1) * q.
  const virtual = (n - 1) * q;
  if (virtual <= 0) return sorted[0] as number;
  if (virtual >= n - 1) return sorted[n - 1] as number;
  const previous = Math.floor(virtual);
  const a = sorted[previous] as number;
  const b = sorted[previous + 1] as number;
  const t = virtual - previous;
  const diff = b - a;
  // numpy's _lerp: from the nearer end, so the result is exact at t = 0 and t = 1.
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The next representable double above x (numpy.nextafter(x, inf)). */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  i64[0] = (i64[0] as bigint) + (x > 0 ? 1n : -1n);
  return f64[0] as number;
}
