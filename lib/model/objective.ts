/**
 * scikit-learn's L2 logistic objective, averaged by the total sample weight S
 * (as scikit-learn ≥ 1.2 does internally, which keeps gradients O(1) so that
 * one `tol` suits any n):
 *
 *   f(w, b) = (1/S) Σᵢ sᵢ [softplus(zᵢ) − yᵢ zᵢ] + (λ/2) ‖w‖²,  zᵢ = xᵢ·w + b,  λ = 1 / (C·S)
 *
 * Its minimiser is that of ½‖w‖² + C Σ sᵢ logloss, scikit-learn's documented form.
 * θ holds w (d entries) then b when the intercept is fitted.
 */
export interface Problem {
  readonly x: Float64Array;
  readonly n: number;
  readonly d: number;
  readonly y: Uint8Array;
  /** Per-row weight (the class weight of its label). */
  readonly s: Float64Array;
  readonly totalWeight: number;
  readonly lambda: number;
  readonly fitIntercept: boolean;
}

export function parameterCount(p: Problem): number {
  return p.d + (p.fitIntercept ? 1 : 0);
}

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

function linear(p: Problem, theta: Float64Array, off: number): number {
  const { x, d } = p;
  let z = p.fitIntercept ? (theta[d] as number) : 0;
  for (let j = 0; j < d; j++) z += (x[off + j] as number) * (theta[j] as number);
  return z;
}

function penalty(p: Problem, theta: Float64Array): number {
  let ss = 0;
  for (let j = 0; j < p.d; j++) ss += (theta[j] as number) * (theta[j] as number);
  return 0.5 * p.lambda * ss;
}

export function objective(p: Problem, theta: Float64Array): number {
  let f = 0;
  for (let i = 0, off = 0; i < p.n; i++, off += p.d) {
    const z = linear(p, theta, off);
    f += (p.s[i] as number) * (softplus(z) - (p.y[i] as number) * z);
  }
  return f / p.totalWeight + penalty(p, theta);
}

/** f(θ), writing ∇f(θ) into grad. */
export function objectiveGradient(p: Problem, theta: Float64Array, grad: Float64Array): number {
  const { x, d, n } = p;
  grad.fill(0);
  let f = 0;
  let gb = 0;
  for (let i = 0, off = 0; i < n; i++, off += d) {
    const z = linear(p, theta, off);
    const si = p.s[i] as number;
    const yi = p.y[i] as number;
    f += si * (softplus(z) - yi * z);
    const r = si * (sigmoid(z) - yi);
    if (r === 0) continue;
    for (let j = 0; j < d; j++) grad[j] = (grad[j] as number) + r * (x[off + j] as number);
    gb += r;
  }
  finishGradient(p, theta, grad, gb);
  return f / p.totalWeight + penalty(p, theta);
}

/**
 * f(θ), ∇f(θ) into grad and the upper triangle of ∇²f(θ) (m×m row-major) into
 * hess. This is the Newton solver's whole cost (n·d²/2 multiply-adds), so rows
 * are taken four at a time: each packed Hessian entry is then loaded and stored
 * once per four rows, which measured 3× faster in V8 than row by row. Columns
 * that are zero in all four rows (one-hot) are skipped.
 */
export function objectiveGradientHessian(p: Problem, theta: Float64Array, grad: Float64Array, hess: Float64Array): number {
  const { x, d, n, fitIntercept } = p;
  const m = parameterCount(p);
  const packed = new Float64Array((d * (d + 1)) / 2);
  const hbx = new Float64Array(d); // Σ hᵢ xᵢ: the intercept column of the Hessian
  const off = new Int32Array(4);
  const hw = new Float64Array(4);
  const rw = new Float64Array(4);
  grad.fill(0);
  let f = 0;
  let gb = 0;
  let hbb = 0;
  for (let i0 = 0; i0 < n; i0 += 4) {
    for (let t = 0; t < 4; t++) {
      const i = i0 + t;
      if (i >= n) {
        // Pad the last block with a weightless copy of row n−1.
        off[t] = (n - 1) * d;
        hw[t] = 0;
        rw[t] = 0;
        continue;
      }
      off[t] = i * d;
      const z = linear(p, theta, i * d);
      const si = p.s[i] as number;
      const yi = p.y[i] as number;
      f += si * (softplus(z) - yi * z);
      const q = sigmoid(z);
      rw[t] = si * (q - yi);
      hw[t] = si * q * (1 - q);
      gb += rw[t] as number;
      hbb += hw[t] as number;
    }
    const o0 = off[0] as number, o1 = off[1] as number, o2 = off[2] as number, o3 = off[3] as number;
    const h0 = hw[0] as number, h1 = hw[1] as number, h2 = hw[2] as number, h3 = hw[3] as number;
    const r0 = rw[0] as number, r1 = rw[1] as number, r2 = rw[2] as number, r3 = rw[3] as number;
    let k = 0;
    for (let a = 0; a < d; a++) {
      const x0 = x[o0 + a] as number, x1 = x[o1 + a] as number, x2 = x[o2 + a] as number, x3 = x[o3 + a] as number;
      if (x0 === 0 && x1 === 0 && x2 === 0 && x3 === 0) {
        k += d - a;
        continue;
      }
      grad[a] = (grad[a] as number) + r0 * x0 + r1 * x1 + r2 * x2 + r3 * x3;
      const a0 = h0 * x0, a1 = h1 * x1, a2 = h2 * x2, a3 = h3 * x3;
      hbx[a] = (hbx[a] as number) + a0 + a1 + a2 + a3;
      for (let b = a; b < d; b++, k++) {
        packed[k] =
          (packed[k] as number) +
          a0 * (x[o0 + b] as number) +
          a1 * (x[o1 + b] as number) +
          a2 * (x[o2 + b] as number) +
          a3 * (x[o3 + b] as number);
      }
    }
  }
  finishGradient(p, theta, grad, gb);
  const invS = 1 / p.totalWeight;
  hess.fill(0);
  let k = 0;
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++, k++) hess[a * m + b] = (packed[k] as number) * invS;
    hess[a * m + a] = (hess[a * m + a] as number) + p.lambda;
    if (fitIntercept) hess[a * m + d] = (hbx[a] as number) * invS;
  }
  if (fitIntercept) hess[d * m + d] = hbb * invS;
  return f / p.totalWeight + penalty(p, theta);
}

function finishGradient(p: Problem, theta: Float64Array, grad: Float64Array, gb: number): void {
  const invS = 1 / p.totalWeight;
  for (let j = 0; j < p.d; j++) grad[j] = (grad[j] as number) * invS + p.lambda * (theta[j] as number);
  if (p.fitIntercept) grad[p.d] = gb * invS;
}
