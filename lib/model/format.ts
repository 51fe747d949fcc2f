import { z } from 'zod';
import { ErrorCodes, RoundhouseError } from '../errors';
import { columnsOf, transformRowInto, type FeaturePipeline } from './features';
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
  z.strictObject({ kind: z.literal('hashing'), name: z.string().min(1), buckets: z.number().int().min(2) }),
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

/** Reads a serialised model (text or already-parsed JSON); every problem is reported with its path. */
export function parseModel(input: string | unknown): LogisticModel {
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
  const problems: string[] = [];
  const expected = m.pipeline.features.flatMap(columnsOf);
  if (expected.length !== m.pipeline.columns.length || expected.some((c, i) => c !== m.pipeline.columns[i])) {
    problems.push('pipeline.columns: do not match the columns the feature encodings produce');
  }
  if (m.coefficients.length !== expected.length) {
    problems.push(`coefficients: ${m.coefficients.length} entries for ${expected.length} columns`);
  }
  const names = m.pipeline.features.map((f) => f.name);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) problems.push(`pipeline.features[${i}].name: "${name}" appears twice`);
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

function invalid(problems: readonly string[], cause?: unknown): RoundhouseError {
  return new RoundhouseError(ErrorCodes.VALIDATION, `invalid ${MODEL_FORMAT} model:\n  ${problems.join('\n  ')}`, {
    retriable: false,
    cause,
    context: { format: MODEL_FORMAT, problems: problems.length },
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
