import { ErrorCodes, RoundhouseError } from '../errors';
import { logNormal, mixSeed, mulberry32, normal, type Random } from './random';

/**
 * An n × d numeric dataset with a known logistic ground truth, for the
 * estimator benchmark and the recovery tests. Columns, in order:
 * - informative (≈ d/3): x = offset + scale · z, z ~ N(0, 1), with scales from
 *   0.01 to 1000 so that standardisation matters;
 * - correlated (≈ d/3): a·(an informative column) + noise — collinear but with
 *   zero true coefficient;
 * - irrelevant (the rest): noise, half normal, half log-normal (skewed).
 * The label is Bernoulli(σ(b₀ + Σ βⱼ zⱼ + ε)), ε ~ N(0, logitNoise), with b₀
 * chosen by bisection so the mean probability is `positiveRate`.
 * Rows are in time order: row i happened at time i (for out-of-time splits).
 * Deterministic for a seed; each row draws from its own stream.
 */
export interface TabularOptions {
  readonly rows: number;
  readonly cols?: number;
  readonly positiveRate?: number;
  readonly seed?: number;
  /** Standard deviation of noise added to the logit (0: labels follow the logistic model exactly). */
  readonly logitNoise?: number;
  /** Scale of the true coefficients βⱼ (signal strength). */
  readonly signal?: number;
}

export interface TabularDataset {
  /** Row-major, rows × cols. */
  readonly x: Float64Array;
  readonly y: Uint8Array;
  readonly rows: number;
  readonly cols: number;
  readonly columns: readonly string[];
  /** The ground truth on the raw columns: logit = trueIntercept + x · trueCoefficients (+ noise). */
  readonly trueCoefficients: Float64Array;
  readonly trueIntercept: number;
  readonly positives: number;
}

interface ColumnPlan {
  readonly kind: 'informative' | 'correlated' | 'irrelevant';
  readonly offset: number;
  readonly scale: number;
  readonly beta: number;
  readonly source: number;
  readonly loading: number;
}

export function generateTabular(options: TabularOptions): TabularDataset {
  const n = options.rows;
  const d = options.cols ?? 30;
  const rate = options.positiveRate ?? 0.01;
  const seed = options.seed ?? 1;
  const noise = options.logitNoise ?? 0.5;
  const signal = options.signal ?? 1;
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1 || !(rate > 0 && rate < 1)) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `generateTabular: need integer rows ≥ 1, cols ≥ 1 and 0 < positiveRate < 1`);
  }
  const plan = planColumns(d, seed, signal);
  const x = new Float64Array(n * d);
  const logit = new Float64Array(n);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const r = mulberry32(mixSeed(seed, i, 1));
    let eta = noise > 0 ? normal(r, 0, noise) : 0;
    for (let j = 0; j < d; j++) {
      const c = plan[j] as ColumnPlan;
      let v: number;
      if (c.kind === 'informative') {
        z[j] = normal(r);
        eta += c.beta * (z[j] as number);
        v = c.offset + c.scale * (z[j] as number);
      } else if (c.kind === 'correlated') {
        v = c.offset + c.scale * (c.loading * (z[c.source] as number) + Math.sqrt(1 - c.loading * c.loading) * normal(r));
      } else {
        v = j % 2 === 0 ? c.offset + c.scale * normal(r) : c.offset + c.scale * logNormal(r, 0, 1);
      }
      x[i * d + j] = v;
    }
    logit[i] = eta;
  }
  const b0 = calibrateIntercept(logit, rate);
  const y = new Uint8Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const u = mulberry32(mixSeed(seed, i, 2))();
    const p = 1 / (1 + Math.exp(-(b0 + (logit[i] as number))));
    if (u < p) {
      y[i] = 1;
      positives++;
    }
  }
  const trueCoefficients = new Float64Array(d);
  let trueIntercept = b0;
  plan.forEach((c, j) => {
    if (c.kind !== 'informative') return;
    trueCoefficients[j] = c.beta / c.scale;
    trueIntercept -= (c.beta * c.offset) / c.scale;
  });
  const columns = plan.map((c, j) => `${c.kind.slice(0, 3)}_${j}`);
  return { x, y, rows: n, cols: d, columns, trueCoefficients, trueIntercept, positives };
}

function planColumns(d: number, seed: number, signal: number): ColumnPlan[] {
  const r: Random = mulberry32(mixSeed(seed, 0xc01));
  const informative = Math.max(1, Math.round(d / 3));
  const correlated = Math.min(d - informative, Math.round(d / 3));
  const plan: ColumnPlan[] = [];
  for (let j = 0; j < d; j++) {
    const kind = j < informative ? 'informative' : j < informative + correlated ? 'correlated' : 'irrelevant';
    // Scales 10^-2 … 10^3 and offsets of a few scales: raw magnitudes differ by 10⁵.
    const scale = Math.pow(10, -2 + 5 * r());
    const offset = scale * (r() * 6 - 3);
    const sign = r() < 0.5 ? -1 : 1;
    const beta = kind === 'informative' ? sign * signal * (0.3 + 0.9 * r()) : 0;
    plan.push({ kind, offset, scale, beta, source: j % informative, loading: 0.5 + 0.45 * r() });
  }
  return plan;
}

/** b₀ with mean σ(b₀ + ηᵢ) = rate, by bisection (the mean is increasing in b₀). */
function calibrateIntercept(logit: Float64Array, rate: number): number {
  let lo = -50;
  let hi = 50;
  for (let it = 0; it < 100; it++) {
    const mid = (lo + hi) / 2;
    let mean = 0;
    for (let i = 0; i < logit.length; i++) mean += 1 / (1 + Math.exp(-(mid + (logit[i] as number))));
    mean /= logit.length;
    if (mean < rate) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-10) break;
  }
  return (lo + hi) / 2;
}
