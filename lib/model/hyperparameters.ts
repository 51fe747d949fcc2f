import { ErrorCodes, RoundhouseError } from '../errors';

/**
 * Hyperparameters of the built-in estimator (catalog `training.hyperparameters`,
 * merged with a request's). They arrive as free JSON, so they are checked here
 * once: an unknown key or a bad value is the model author's mistake, and
 * retrying cannot fix it, so the error is VALIDATION and not retriable (the
 * trainer exits with BAD_INPUT). Every problem is reported at once, each naming
 * its key.
 *
 * The objective is scikit-learn's LogisticRegression with an L2 penalty:
 *   minimise ½‖w‖² + C · Σᵢ sᵢ · logloss(yᵢ, σ(xᵢ·w + b))
 * where sᵢ is the class weight of row i's label and the intercept b is not
 * penalised, so the same `C` means the same model in both.
 */
export type Encoding = 'onehot' | 'hashing';
export type Solver = 'auto' | 'newton' | 'lbfgs';
export type ClassWeight = 'balanced' | { readonly 0: number; readonly 1: number } | null;

export interface Hyperparameters {
  /** Inverse regularisation strength (scikit-learn's C); larger means a weaker penalty. */
  readonly C: number;
  /** Per-class sample weights: 'balanced' is n / (2 · n_class), as scikit-learn. */
  readonly classWeight: ClassWeight;
  /** Newton or L-BFGS iterations. */
  readonly maxIter: number;
  /** Converged when the largest gradient component of the (weight-averaged) objective is ≤ tol. */
  readonly tol: number;
  /** 'auto' picks Newton for up to AUTO_NEWTON_MAX_COLUMNS design columns, else L-BFGS. */
  readonly solver: Solver;
  readonly fitIntercept: boolean;
  /** History length of L-BFGS. */
  readonly lbfgsMemory: number;
  /** One-hot: the K most frequent categories of each categorical feature get a column; the rest share `__other__`. */
  readonly maxCategories: number;
  readonly encoding: Encoding;
  /** Columns per categorical feature when encoding is 'hashing'. */
  readonly hashBuckets: number;
}

export const DEFAULT_HYPERPARAMETERS: Hyperparameters = Object.freeze({
  C: 1,
  classWeight: null,
  maxIter: 100,
  // scikit-learn's default, on the same averaged objective: fit-time comparisons stay fair.
  tol: 1e-4,
  solver: 'auto',
  fitIntercept: true,
  lbfgsMemory: 10,
  maxCategories: 50,
  encoding: 'onehot',
  hashBuckets: 32,
});

/**
 * Above this many columns the d×d Hessian (n·d²/2 per Newton step) costs more
 * than the L-BFGS iterations it saves; measured with bench/trainer-vs-sklearn.ts.
 */
export const AUTO_NEWTON_MAX_COLUMNS = 200;

type Check = (value: unknown) => string | null;

const positiveNumber: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'must be a finite number > 0');
const integerAtLeast =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `must be an integer in [${min}, ${max}]`;
const oneOf =
  (...options: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && options.includes(v) ? null : `must be one of ${options.map((o) => `'${o}'`).join(', ')}`;
const boolean: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');

const classWeight: Check = (v) => {
  if (v === null || v === 'balanced') return null;
  const shape = "must be 'balanced', null or an object { \"0\": w0, \"1\": w1 } of positive weights";
  if (typeof v !== 'object' || Array.isArray(v)) return shape;
  const keys = Object.keys(v).sort();
  if (keys.length !== 2 || keys[0] !== '0' || keys[1] !== '1') return shape;
  const o = v as Record<string, unknown>;
  return positiveNumber(o['0']) === null && positiveNumber(o['1']) === null ? null : shape;
};

const CHECKS: Readonly<Record<keyof Hyperparameters, Check>> = {
  C: positiveNumber,
  classWeight,
  maxIter: integerAtLeast(1, 100_000),
  tol: positiveNumber,
  solver: oneOf('auto', 'newton', 'lbfgs'),
  fitIntercept: boolean,
  lbfgsMemory: integerAtLeast(1, 100),
  maxCategories: integerAtLeast(1, 10_000),
  encoding: oneOf('onehot', 'hashing'),
  hashBuckets: integerAtLeast(2, 1 << 20),
};

/** Validates free JSON into fully defaulted hyperparameters; throws VALIDATION naming every bad key. */
export function parseHyperparameters(raw: Readonly<Record<string, unknown>> | null | undefined): Hyperparameters {
  if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, 'hyperparameters: expected a JSON object', { retriable: false });
  }
  const input = raw ?? {};
  const problems: { key: string; message: string }[] = [];
  const known = Object.keys(CHECKS);
  for (const key of Object.keys(input).sort()) {
    const check = (CHECKS as Readonly<Record<string, Check>>)[key];
    if (check === undefined) {
      problems.push({ key, message: `unknown hyperparameter (known: ${known.join(', ')})` });
      continue;
    }
    const problem = check(input[key]);
    if (problem !== null) problems.push({ key, message: `${problem}, got ${JSON.stringify(input[key])}` });
  }
  if (problems.length > 0) {
    throw new RoundhouseError(
      ErrorCodes.VALIDATION,
      `invalid hyperparameters:\n  ${problems.map((p) => `${p.key}: ${p.message}`).join('\n  ')}`,
      { retriable: false, context: { key: problems[0]?.key, keys: problems.map((p) => p.key).join(',') } },
    );
  }
  const merged = { ...DEFAULT_HYPERPARAMETERS, ...input } as Hyperparameters;
  const cw = merged.classWeight;
  const normalisedWeight: ClassWeight =
    cw === null || cw === 'balanced' ? cw : Object.freeze({ 0: Number(cw[0]), 1: Number(cw[1]) });
  return Object.freeze({ ...merged, classWeight: normalisedWeight });
}
