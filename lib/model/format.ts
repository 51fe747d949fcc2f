import { z } from 'zod';
import { ErrorCodes, RoundhouseError } from '../errors';
import { columnCount, columnsOf, transformRowInto, type FeaturePipeline } from './features';
import { parseHyperparameters, type Hyperparameters } from './hyperparameters';
import { sigmoid } from './objective';
import type { Row } from './values';

/**
 * The model artifact `roundhouse.logistic/v1`: one JSON document holding the
 * fitted feature pipeline, the coefficients (one per pipeline column, in column
 * order), the intercept, the hyperparameters used and how the fit went. Scoring
 * needs nothing else, so the evaluator can rescore a champion and a candidate on
 * the same rows. JSON numbers round-trip doubles exactly, so a parsed model
 * scores bit-identically to the one that was serialised.
 */
export const MODEL_FORMAT = 'roundhouse.logistic/v1';

export interface TrainingSummary {
  readonly rows: number;
  readonly positives: number;
  readonly solver: 'newton' | 'lbfgs';
  readonly iterations: number;
  readonly converged: boolean;
  readonly stopReason: 'gradient' | 'objective' | 'maxIter' | 'lineSearch';
  readonly gradientNorm: number;
  readonly objective: number;
  readonly classWeights: { readonly negative: number; readonly positive: number };
}

export type MetadataValue = string | number | boolean | null;

export interface LogisticModel {
  readonly format: typeof MODEL_FORMAT;
  readonly pipeline: FeaturePipeline;
  readonly coefficients: readonly number[];
  readonly intercept: number;
  readonly hyperparameters: Hyperparameters;
  readonly training: TrainingSummary;
  /** Caller's facts (modelId, runId, trainedAt, …): carried, never interpreted. */
  readonly metadata: Readonly<Record<string, MetadataValue>>;
}

export function serializeModel(model: LogisticModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
/** The hashBuckets bound of hyperparameters.ts: no trainer can fit more buckets per feature. */
export const MAX_HASH_BUCKETS = 1 << 20;
const count = z.number().int().min(0);

const FeatureEncodingShape = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('numeric'),
    name: z.string().min(1),
    mean: finite,
    scale: finite.refine((s) => s > 0, 'must be > 0'),
    missingIndicator: z.boolean(),
  }),
  z.strictObject({ kind: z.literal('onehot'), name: z.string().min(1), categories: z.array(z.string()) }),
  // At most what a trainer may ask for (hyperparameters.ts hashBuckets).
  z.strictObject({ kind: z.literal('hashing'), name: z.string().min(1), buckets: z.number().int().min(2).max(MAX_HASH_BUCKETS) }),
]);

const ModelShape = z.strictObject({
  format: z.literal(MODEL_FORMAT),
  pipeline: z.strictObject({ features: z.array(FeatureEncodingShape), columns: z.array(z.string()) }),
  coefficients: z.array(finite),
  intercept: finite,
  hyperparameters: z.record(z.string(), z.unknown()),
  training: z.strictObject({
    rows: count,
    positives: count,
    solver: z.enum(['newton', 'lbfgs']),
    iterations: count,
    converged: z.boolean(),
    stopReason: z.enum(['gradient', 'objective', 'maxIter', 'lineSearch']),
    gradientNorm: finite,
    objective: finite,
    classWeights: z.strictObject({ negative: finite, positive: finite }),
  }),
  metadata: z.record(z.string(), z.union([z.string(), finite, z.boolean(), z.null()])),
});

export interface ModelLimits {
  /** Columns the pipeline may produce (numeric + missing indicators + one-hot categories + hashing buckets). */
  readonly maxColumns?: number;
}

/**
 * Reads a serialised model (text or already-parsed JSON); every problem is
 * reported with its path. The column count is computed from the encodings and
 * checked against `maxColumns` and the coefficients before any column is named:
 * a 380-byte model declaring 3e7 hashing buckets exhausted the evaluator's heap
 * expanding them (issue 14).
 */
export function parseModel(input: string | unknown, limits: ModelLimits = {}): LogisticModel {
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (error) {
      throw invalid([`(root): not JSON: ${(error as Error).message}`], error);
    }
  }
  const parsed = ModelShape.safeParse(json);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const m = parsed.data;
  const implied = m.pipeline.features.reduce((n, f) => n + columnCount(f), 0);
  if (limits.maxColumns !== undefined && implied > limits.maxColumns) {
    throw invalid([`pipeline.features: ${implied} columns, more than the ${limits.maxColumns} allowed`], undefined, { limit: 'maxColumns' });
  }
  const problems: string[] = [];
  if (m.coefficients.length !== implied) problems.push(`coefficients: ${m.coefficients.length} entries for ${implied} columns`);
  // Named only when the counts agree: the names of the columns in the file bound their number.
  if (m.pipeline.columns.length !== implied || m.pipeline.features.flatMap(columnsOf).some((c, i) => c !== m.pipeline.columns[i])) {
    problems.push('pipeline.columns: do not match the columns the feature encodings produce');
  }
  // A set, not indexOf: a crafted model may list a great many features.
  const seen = new Set<string>();
  m.pipeline.features.forEach(({ name }, i) => {
    if (seen.has(name)) problems.push(`pipeline.features[${i}].name: "${name}" appears twice`);
    seen.add(name);
  });
  let hyperparameters: Hyperparameters | null = null;
  try {
    hyperparameters = parseHyperparameters(m.hyperparameters);
  } catch (error) {
    problems.push(`hyperparameters: ${(error as Error).message}`);
  }
  if (problems.length > 0 || hyperparameters === null) throw invalid(problems);
  return { ...m, hyperparameters, format: MODEL_FORMAT };
}

/** `limit`: the ModelLimits field that refused the model, when one did. */
function invalid(problems: readonly string[], cause?: unknown, extra: { readonly limit?: keyof ModelLimits } = {}): RoundhouseError {
  return new RoundhouseError(ErrorCodes.VALIDATION, `invalid ${MODEL_FORMAT} model:\n  ${problems.join('\n  ')}`, {
    retriable: false,
    cause,
    context: { format: MODEL_FORMAT, problems: problems.length, ...extra },
  });
}

/** P(positive) for each row, through the model's own pipeline. */
export function scoreRows(model: LogisticModel, rows: readonly Row[]): Float64Array {
  const cols = model.pipeline.columns.length;
  const buffer = new Float64Array(cols);
  const coef = Float64Array.from(model.coefficients);
  const out = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    transformRowInto(model.pipeline, row, buffer, 0);
    let z = model.intercept;
    for (let j = 0; j < cols; j++) z += (buffer[j] as number) * (coef[j] as number);
    out[i] = sigmoid(z);
  });
  return out;
}
