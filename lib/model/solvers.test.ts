import type { Problem } from './objective';
import { lbfgs, newton } from './solvers';

// Nearly separable 1-D data: from a far start the full Newton step overshoots,
// so the line search has to backtrack.
const xs = [-3, -2, -1.5, -1, -0.5, 0.2, 0.5, 1, 1.5, 2, 3, -0.2];
const ys = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1];
const problem: Problem = {
  x: Float64Array.from(xs),
  n: xs.length,
  d: 1,
  y: Uint8Array.from(ys),
  s: new Float64Array(xs.length).fill(1),
  totalWeight: xs.length,
  lambda: 1 / (10 * xs.length),
  fitIntercept: true,
};
const opts = { maxIter: 200, tol: 1e-10, memory: 10 };

describe('solvers', () => {
  it('reach the same optimum from a poor start as from zero (Newton backtracks, L-BFGS too)', () => {
    const reference = newton(problem, new Float64Array(2), opts);
    expect(reference.converged).toBe(true);
    for (const start of [[40, -30], [-25, 25]]) {
      for (const solve of [newton, lbfgs]) {
        const r = solve(problem, Float64Array.from(start), opts);
        expect(r.converged).toBe(true);
        expect(Math.abs((r.theta[0] as number) - (reference.theta[0] as number))).toBeLessThan(1e-7);
        expect(Math.abs((r.theta[1] as number) - (reference.theta[1] as number))).toBeLessThan(1e-7);
      }
    }
  });

  it('report a stalled line search instead of looping', () => {
    // A NaN objective can never satisfy Armijo.
    const broken: Problem = { ...problem, x: Float64Array.from(xs.map(() => NaN)) };
    const r = newton(broken, new Float64Array(2), { ...opts, tol: 0 });
    expect(r.converged).toBe(false);
  });
});
