import { ErrorCodes, RoundhouseError } from '../errors';
import type { DesignMatrix } from './features';
import { AUTO_NEWTON_MAX_COLUMNS, DEFAULT_HYPERPARAMETERS, type ClassWeight, type Hyperparameters } from './hyperparameters';
import { sigmoid, type Problem } from './objective';
import { lbfgs, newton, type StopReason } from './solvers';

/**
 * L2-regularised logistic regression, scikit-learn's objective (see
 * objective.ts), fitted by Newton or L-BFGS (solvers.ts). Deterministic: the
 * start point and every summation order are fixed, so the same rows give the
 * same coefficients bit for bit.
 */
export type LogisticOptions = Pick<Hyperparameters, 'C' | 'classWeight' | 'maxIter' | 'tol' | 'solver' | 'fitIntercept' | 'lbfgsMemory'>;

export interface LogisticFit {
  readonly coefficients: Float64Array;
  readonly intercept: number;
  readonly solver: 'newton' | 'lbfgs';
  readonly iterations: number;
  readonly converged: boolean;
  readonly stopReason: StopReason;
  /** max |∇f| at the solution, on the weight-averaged objective. */
  readonly gradientNorm: number;
  readonly objective: number;
  /** The sample weight each class got. */
  readonly classWeights: { readonly negative: number; readonly positive: number };
}

/** Labels must be 0 or 1 (booleans allowed) and both classes must be present. */
export function fitLogistic(
  x: DesignMatrix,
  labels: ArrayLike<number | boolean>,
  options: Partial<LogisticOptions> = {},
): LogisticFit {
  const opts: LogisticOptions = { ...DEFAULT_HYPERPARAMETERS, ...options };
  const { rows: n, cols: d } = x;
  if (labels.length !== n) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `fitLogistic: ${labels.length} labels for ${n} rows`, { retriable: false });
  }
  if (x.data.length !== n * d) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `fitLogistic: design matrix holds ${x.data.length} values, not ${n}×${d}`, { retriable: false });
  }
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i] as number)) {
      const row = Math.floor(i / d);
      throw new RoundhouseError(ErrorCodes.VALIDATION, `fitLogistic: design matrix entry (${row}, ${i - row * d}) is ${x.data[i]}`, { retriable: false, context: { row } });
    }
  }
  const y = toBinary(labels);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i] as number;
  if (positives === 0 || positives === n) {
    throw new RoundhouseError(
      ErrorCodes.NO_DATA,
      `cannot fit a classifier: the ${n} training rows hold ${positives === 0 ? 'no positive' : 'only positive'} labels`,
      { retriable: false, context: { rows: n, positives } },
    );
  }
  const [w0, w1] = classWeights(opts.classWeight, n, positives);
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) s[i] = y[i] === 1 ? w1 : w0;
  const totalWeight = w1 * positives + w0 * (n - positives);
  const problem: Problem = { x: x.data, n, d, y, s, totalWeight, lambda: 1 / (opts.C * totalWeight), fitIntercept: opts.fitIntercept };

  const m = d + (opts.fitIntercept ? 1 : 0);
  const theta0 = new Float64Array(m);
  // Starting at the weighted base rate's log-odds saves a step or two with 1% positives.
  if (opts.fitIntercept) theta0[d] = Math.log((w1 * positives) / (w0 * (n - positives)));
  const solver = opts.solver === 'auto' ? (m <= AUTO_NEWTON_MAX_COLUMNS ? 'newton' : 'lbfgs') : opts.solver;
  const run = solver === 'newton' ? newton : lbfgs;
  const r = run(problem, theta0, { maxIter: opts.maxIter, tol: opts.tol, memory: opts.lbfgsMemory });
  return {
    coefficients: r.theta.slice(0, d),
    intercept: opts.fitIntercept ? (r.theta[d] as number) : 0,
    solver,
    iterations: r.iterations,
    converged: r.converged,
    stopReason: r.stopReason,
    gradientNorm: r.gradientNorm,
    objective: r.objective,
    classWeights: { negative: w0, positive: w1 },
  };
}

function toBinary(labels: ArrayLike<number | boolean>): Uint8Array {
  const y = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v === 1 || v === true) y[i] = 1;
    else if (v !== 0 && v !== false) {
      throw new RoundhouseError(ErrorCodes.VALIDATION, `label ${i} is ${String(v)}; labels must be 0 or 1`, { retriable: false, context: { row: i } });
    }
  }
  return y;
}

/** scikit-learn's compute_class_weight: 'balanced' gives n / (2 · n_class). */
export function classWeights(cw: ClassWeight, n: number, positives: number): [number, number] {
  if (cw === null) return [1, 1];
  if (cw === 'balanced') return [n / (2 * (n - positives)), n / (2 * positives)];
  return [cw[0], cw[1]];
}

/** P(y = 1 | x) for each row of a design matrix. */
export function predictProbabilities(x: DesignMatrix, coefficients: ArrayLike<number>, intercept: number): Float64Array {
  const { rows, cols, data } = x;
  if (coefficients.length !== cols) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `${coefficients.length} coefficients for ${cols} columns`, { retriable: false });
  }
  const out = new Float64Array(rows);
  for (let i = 0, off = 0; i < rows; i++, off += cols) {
    let z = intercept;
    for (let j = 0; j < cols; j++) z += (data[off + j] as number) * (coefficients[j] as number);
    out[i] = sigmoid(z);
  }
  return out;
}
