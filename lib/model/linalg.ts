/**
 * The little dense linear algebra the Newton solver needs: a Cholesky solve of
 * the (d+1)×(d+1) Hessian. Row-major Float64Arrays, no allocation in loops.
 */

/**
 * Solves A x = b for symmetric positive definite A (m×m, row-major; only the
 * upper triangle is read). Returns null when A is not numerically positive
 * definite, so the caller can add a ridge and retry.
 */
export function choleskySolve(a: Float64Array, b: Float64Array, m: number): Float64Array | null {
  // L is lower triangular, stored row-major in l; A = L Lᵀ.
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[j * m + i] as number; // upper triangle of A, (j ≤ i)
      for (let k = 0; k < j; k++) sum -= (l[i * m + k] as number) * (l[j * m + k] as number);
      if (i === j) {
        if (!(sum > 0) || !Number.isFinite(sum)) return null;
        l[i * m + i] = Math.sqrt(sum);
      } else {
        l[i * m + j] = sum / (l[j * m + j] as number);
      }
    }
  }
  // Forward: L z = b; back: Lᵀ x = z.
  const x = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= (l[i * m + k] as number) * (x[k] as number);
    x[i] = sum / (l[i * m + i] as number);
  }
  for (let i = m - 1; i >= 0; i--) {
    let sum = x[i] as number;
    for (let k = i + 1; k < m; k++) sum -= (l[k * m + i] as number) * (x[k] as number);
    x[i] = sum / (l[i * m + i] as number);
  }
  return x;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>, length = a.length): number {
  let s = 0;
  for (let i = 0; i < length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}
