/**
 * The evaluation metrics a gate may name, with the direction in which they improve
 * and the range they live in. One table: the trainer computes these, the evaluator
 * compares them, the catalog checks gates against them. Adding a metric here makes
 * it legal in every catalog, so the trainer must learn to compute it first.
 */

export type MetricDirection = 'higher' | 'lower';

export interface MetricInfo {
  /** Which way is better. */
  readonly direction: MetricDirection;
  /** Inclusive upper bound of the metric's range (lower bound is always 0); null = unbounded. */
  readonly max: number | null;
  readonly description: string;
}

export const METRICS = {
  rocAuc: { direction: 'higher', max: 1, description: 'area under the ROC curve' },
  prAuc: { direction: 'higher', max: 1, description: 'area under the precision-recall curve (average precision)' },
  recallAt1PctFpr: { direction: 'higher', max: 1, description: 'recall (fraud caught) at a 1% false-positive rate' },
  precisionAtK: { direction: 'higher', max: 1, description: 'precision among the K highest-scored holdout rows (K set by the trainer)' },
  logLoss: { direction: 'lower', max: null, description: 'mean binary cross-entropy' },
  brier: { direction: 'lower', max: 1, description: 'mean squared error of the probability' },
  expectedCalibrationError: { direction: 'lower', max: 1, description: 'expected calibration error over equal-width probability bins' },
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof METRICS;

export const METRIC_NAMES = Object.keys(METRICS) as [MetricName, ...MetricName[]];

/** Direction per metric, derived from METRICS so there is one source. */
export const METRIC_DIRECTIONS: Readonly<Record<MetricName, MetricDirection>> = Object.freeze(
  Object.fromEntries(METRIC_NAMES.map((name) => [name, METRICS[name].direction])) as Record<MetricName, MetricDirection>,
);

export function isMetricName(name: string): name is MetricName {
  return Object.prototype.hasOwnProperty.call(METRICS, name);
}

/**
 * The limits a gate can express. Each belongs to one direction so that a gate can
 * only be written the right way round: "rocAuc min" and "logLoss max" make sense,
 * "logLoss min" does not.
 */
export const GATE_LIMITS = {
  /** candidate ≥ value */
  min: { direction: 'higher', relativeToChampion: false },
  /** champion − candidate ≤ value */
  maxDrop: { direction: 'higher', relativeToChampion: true },
  /** (champion − candidate) / champion ≤ value */
  maxRelativeDrop: { direction: 'higher', relativeToChampion: true },
  /** candidate ≤ value */
  max: { direction: 'lower', relativeToChampion: false },
  /** candidate − champion ≤ value */
  maxIncrease: { direction: 'lower', relativeToChampion: true },
  /** (candidate − champion) / champion ≤ value */
  maxRelativeIncrease: { direction: 'lower', relativeToChampion: true },
} as const satisfies Record<string, { direction: MetricDirection; relativeToChampion: boolean }>;

export type GateLimit = keyof typeof GATE_LIMITS;

export const GATE_LIMIT_NAMES = Object.keys(GATE_LIMITS) as [GateLimit, ...GateLimit[]];

export function limitsFor(direction: MetricDirection): GateLimit[] {
  return GATE_LIMIT_NAMES.filter((limit) => GATE_LIMITS[limit].direction === direction);
}
