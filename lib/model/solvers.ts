import { choleskySolve, dot, maxAbs } from './linalg';
import { objective, objectiveGradient, objectiveGradientHessian, parameterCount, type Problem } from './objective';

/**
 * Two second-order-ish solvers for the convex objective in objective.ts, both
 * deterministic (fixed start, fixed summation order).
 *
 * - Newton (IRLS): exact Hessian, Cholesky solve, backtracking line search.
 *   Quadratic convergence; each step costs n·m²/2, so it suits m up to a few hundred.
 * - L-BFGS: two-loop recursion over the last `memory` pairs, backtracking Armijo
 *   line search. The objective is strictly convex in w (L2) and, with both
 *   classes present, in b, so sᵀy > 0 holds without a Wolfe curvature search;
 *   pairs that fail it numerically are skipped.
 *
 * Both stop when max|∇f| ≤ tol ('gradient'), when f stops decreasing by more
 * than 64 ulps relative (scikit-learn's L-BFGS-B ftol; 'objective'), after
 * maxIter iterations ('maxIter') or when no step decreases f ('lineSearch').
 */
export type StopReason = 'gradient' | 'objective' | 'maxIter' | 'lineSearch';

export interface SolverOptions {
  readonly maxIter: number;
  readonly tol: number;
  readonly memory: number;
}

export interface SolverResult {
  readonly theta: Float64Array;
  readonly iterations: number;
  readonly converged: boolean;
  readonly stopReason: StopReason;
  readonly gradientNorm: number;
  readonly objective: number;
}

const ARMIJO = 1e-4;
const MIN_STEP = 1e-12;
const FTOL = 64 * Number.EPSILON;

function result(theta: Float64Array, iterations: number, stopReason: StopReason, grad: Float64Array, f: number): SolverResult {
  return {
    theta,
    iterations,
    converged: stopReason === 'gradient' || stopReason === 'objective',
    stopReason,
    gradientNorm: maxAbs(grad),
    objective: f,
  };
}

function stalled(fOld: number, fNew: number): boolean {
  return fOld - fNew <= FTOL * Math.max(Math.abs(fOld), Math.abs(fNew), 1);
}

export function newton(p: Problem, theta0: Float64Array, opts: SolverOptions): SolverResult {
  const m = parameterCount(p);
  let theta = Float64Array.from(theta0);
  let grad = new Float64Array(m);
  let hess = new Float64Array(m * m);
  let trial = new Float64Array(m);
  let trialGrad = new Float64Array(m);
  let trialHess = new Float64Array(m * m);
  let f = objectiveGradientHessian(p, theta, grad, hess);
  for (let it = 0; it < opts.maxIter; it++) {
    if (maxAbs(grad) <= opts.tol) return result(theta, it, 'gradient', grad, f);
    const step = solveWithRidge(hess, grad, m);
    const slope = dot(grad, step);
    // The full step is almost always accepted, so it is evaluated with its
    // gradient and Hessian in one pass (the next iteration needs them anyway);
    // shorter steps are tried on the objective alone.
    let t = 1;
    for (let j = 0; j < m; j++) trial[j] = (theta[j] as number) + (step[j] as number);
    let fTrial = objectiveGradientHessian(p, trial, trialGrad, trialHess);
    let derivatives = true;
    while (!(fTrial <= f + ARMIJO * t * slope)) {
      t /= 2;
      if (t < MIN_STEP) return result(theta, it, 'lineSearch', grad, f);
      for (let j = 0; j < m; j++) trial[j] = (theta[j] as number) + t * (step[j] as number);
      fTrial = objective(p, trial);
      derivatives = false;
    }
    if (!derivatives) fTrial = objectiveGradientHessian(p, trial, trialGrad, trialHess);
    [theta, trial] = [trial, theta];
    [grad, trialGrad] = [trialGrad, grad];
    [hess, trialHess] = [trialHess, hess];
    const fOld = f;
    f = fTrial;
    if (stalled(fOld, f) && maxAbs(grad) > opts.tol) return result(theta, it + 1, 'objective', grad, f);
  }
  return result(theta, opts.maxIter, maxAbs(grad) <= opts.tol ? 'gradient' : 'maxIter', grad, f);
}

/** Newton direction −H⁻¹g; a growing ridge rescues a numerically singular Hessian. */
function solveWithRidge(hess: Float64Array, grad: Float64Array, m: number): Float64Array {
  const neg = grad.map((g) => -g);
  let trace = 0;
  for (let a = 0; a < m; a++) trace += hess[a * m + a] as number;
  let ridge = 0;
  for (;;) {
    const h = ridge === 0 ? hess : addRidge(hess, m, ridge);
    const x = choleskySolve(h, neg, m);
    if (x !== null) return x;
    ridge = ridge === 0 ? 1e-10 * Math.max(trace / m, 1e-12) : ridge * 10;
    // Beyond this the step is gradient descent in all but name; still a descent direction.
    // (Written so that a NaN ridge, from a NaN Hessian, also ends the loop.)
    if (!(ridge <= 1e6)) return neg;
  }
}

function addRidge(hess: Float64Array, m: number, ridge: number): Float64Array {
  const h = Float64Array.from(hess);
  for (let a = 0; a < m; a++) h[a * m + a] = (h[a * m + a] as number) + ridge;
  return h;
}

export function lbfgs(p: Problem, theta0: Float64Array, opts: SolverOptions): SolverResult {
  const m = parameterCount(p);
  const theta = Float64Array.from(theta0);
  const grad = new Float64Array(m);
  const trial = new Float64Array(m);
  const trialGrad = new Float64Array(m);
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rho: number[] = [];
  let f = objectiveGradient(p, theta, grad);
  for (let it = 0; it < opts.maxIter; it++) {
    if (maxAbs(grad) <= opts.tol) return result(theta, it, 'gradient', grad, f);
    let dir = twoLoop(grad, sHist, yHist, rho);
    let slope = dot(grad, dir);
    if (!(slope < 0)) {
      // Not a descent direction (round-off): forget the history.
      sHist.length = yHist.length = rho.length = 0;
      dir = grad.map((g) => -g);
      slope = dot(grad, dir);
    }
    // Without curvature pairs the direction is −g: start small, as L-BFGS-B does.
    let t = sHist.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    let fTrial = Infinity;
    for (; t >= MIN_STEP; t /= 2) {
      for (let j = 0; j < m; j++) trial[j] = (theta[j] as number) + t * (dir[j] as number);
      fTrial = objectiveGradient(p, trial, trialGrad);
      if (fTrial <= f + ARMIJO * t * slope) break;
    }
    if (t < MIN_STEP) return result(theta, it, 'lineSearch', grad, f);
    const s = new Float64Array(m);
    const y = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      s[j] = (trial[j] as number) - (theta[j] as number);
      y[j] = (trialGrad[j] as number) - (grad[j] as number);
    }
    const sy = dot(s, y);
    if (sy > 1e-10 * Math.sqrt(dot(s, s) * dot(y, y))) {
      sHist.push(s);
      yHist.push(y);
      rho.push(1 / sy);
      if (sHist.length > opts.memory) {
        sHist.shift();
        yHist.shift();
        rho.shift();
      }
    }
    theta.set(trial);
    grad.set(trialGrad);
    const fOld = f;
    f = fTrial;
    if (stalled(fOld, f) && maxAbs(grad) > opts.tol) return result(theta, it + 1, 'objective', grad, f);
  }
  return result(theta, opts.maxIter, maxAbs(grad) <= opts.tol ? 'gradient' : 'maxIter', grad, f);
}

/** −H_k g by the two-loop recursion, H₀ = γI with γ = sᵀy / yᵀy of the newest pair. */
function twoLoop(grad: Float64Array, sHist: Float64Array[], yHist: Float64Array[], rho: number[]): Float64Array {
  const q = Float64Array.from(grad);
  const k = sHist.length;
  const alpha = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    const a = (rho[i] as number) * dot(sHist[i] as Float64Array, q);
    alpha[i] = a;
    const yi = yHist[i] as Float64Array;
    for (let j = 0; j < q.length; j++) q[j] = (q[j] as number) - a * (yi[j] as number);
  }
  if (k > 0) {
    const yk = yHist[k - 1] as Float64Array;
    const gamma = 1 / ((rho[k - 1] as number) * dot(yk, yk));
    for (let j = 0; j < q.length; j++) q[j] = (q[j] as number) * gamma;
  }
  for (let i = 0; i < k; i++) {
    const b = (rho[i] as number) * dot(yHist[i] as Float64Array, q);
    const si = sHist[i] as Float64Array;
    const coef = (alpha[i] as number) - b;
    for (let j = 0; j < q.length; j++) q[j] = (q[j] as number) + coef * (si[j] as number);
  }
  for (let j = 0; j < q.length; j++) q[j] = -(q[j] as number);
  return q;
}
