/**
 * Test fixtures for the evaluator (unit and integration): a catalog, two models
 * trained with lib/model on lib/synthetic data (one on the true labels, one on
 * shuffled labels), artifacts written through any ArtifactStore with a real
 * manifest, and the events around them.
 */
import { gzipSync } from 'node:zlib';
import { ARTIFACT_FILES, type ArtifactStore } from '../../../lib/artifacts';
import { writeArtifact as writeManifested, type ArtifactFileInput } from '../../../lib/artifacts/manifest';
import { parseCatalog, type Catalog } from '../../../lib/catalog';
import { catalogText, minimalModel } from '../../../lib/catalog/test-helpers';
import type { ModelMetrics, ModelReady, ReferenceProfile, RetrainRequested, TrainingCompleted } from '../../../lib/events';
import { SAMPLE_EVENTS } from '../../../lib/events/samples';
import { MODEL_FORMAT, buildReferenceProfile, computeMetrics, fitModel, scoreRows, serializeModel, toModelMetrics, type LogisticModel, type Row } from '../../../lib/model';
import { generateTabular, mixSeed, mulberry32 } from '../../../lib/synthetic';
import type { Holdout } from '../core/rescore';

export const MODEL_ID = 'card-fraud';
export const LABEL_FIELD = 'is_fraud';
export const T0 = Date.UTC(2026, 2, 1);
const ROWS = 4000;
const HOLDOUT_FROM = 2800;
const COLS = 6;

export interface Trained {
  readonly features: readonly string[];
  readonly good: LogisticModel;
  readonly shuffled: LogisticModel;
  /** The out-of-time holdout (the last rows). */
  readonly holdout: Holdout & { readonly times: readonly number[] };
  readonly profile: ReferenceProfile;
}

let trained: Trained | undefined;

/** Trained once per test file: 2,800 training rows, 1,200 holdout rows, 6 features, ~10% positives. */
export function trainModels(): Trained {
  if (trained) return trained;
  const data = generateTabular({ rows: ROWS, cols: COLS, positiveRate: 0.1, seed: 7, signal: 1.5 });
  const features = data.columns;
  const rows: Row[] = [];
  for (let i = 0; i < data.rows; i++) rows.push(Object.fromEntries(features.map((name, j) => [name, data.x[i * COLS + j]])));
  const labels = Array.from(data.y);
  const trainRows = rows.slice(0, HOLDOUT_FROM);
  const trainLabels = labels.slice(0, HOLDOUT_FROM);
  // Fisher–Yates with a seeded generator: the same "noise" model every run.
  const shuffledLabels = [...trainLabels];
  const random = mulberry32(mixSeed(11, 0, 0));
  for (let i = shuffledLabels.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffledLabels[i], shuffledLabels[j]] = [shuffledLabels[j]!, shuffledLabels[i]!];
  }
  const inputs = features.map((name) => ({ name, type: 'numeric' as const }));
  trained = {
    features,
    good: fitModel(trainRows, trainLabels, inputs, {}, { modelId: MODEL_ID, kind: 'good' }),
    shuffled: fitModel(trainRows, shuffledLabels, inputs, {}, { modelId: MODEL_ID, kind: 'shuffled' }),
    holdout: { rows: rows.slice(HOLDOUT_FROM), labels: Uint8Array.from(labels.slice(HOLDOUT_FROM)), times: rows.slice(HOLDOUT_FROM).map((_, i) => T0 + i * 1000) },
    profile: buildReferenceProfile(trainRows, trainLabels, { features: inputs, scoreField: null }),
  };
  return trained;
}

export function holdoutMetrics(model: LogisticModel, holdout: Holdout): ModelMetrics {
  return toModelMetrics(computeMetrics(holdout.labels, scoreRows(model, holdout.rows)));
}

/** The catalog under test, as YAML: rocAuc ≥ 0.65 and at most 0.01 below the champion, on ≥ 500 rows with ≥ 30 positives. */
export function evaluatorCatalogYaml(evaluation: Record<string, unknown> = {}): string {
  const base = minimalModel(MODEL_ID) as { data: Record<string, unknown> };
  return catalogText({
    version: 1,
    models: [
      {
        ...base,
        data: { ...base.data, labelField: LABEL_FIELD, features: trainModels().features.map((name) => ({ name, type: 'numeric' })) },
        evaluation: {
          gates: [
            { metric: 'rocAuc', min: 0.65 },
            { metric: 'rocAuc', maxDrop: 0.01 },
          ],
          minHoldoutRows: 500,
          minHoldoutPositives: 30,
          maxCalibrationError: 0.5,
          ...evaluation,
        },
      },
    ],
  });
}

export function evaluatorCatalog(evaluation: Record<string, unknown> = {}): Catalog {
  return parseCatalog(evaluatorCatalogYaml(evaluation), 'evaluator-test-catalog.yaml');
}

export interface ArtifactParts {
  readonly runId: string;
  /** The manifest's model id (default MODEL_ID). */
  readonly modelId?: string;
  readonly model: LogisticModel;
  readonly holdout?: Trained['holdout'] | null;
  /** 'trainer': the built-in trainer's {eventId, eventTime, label, record} lines; 'flat': features and label in one object. */
  readonly holdoutShape?: 'trainer' | 'flat';
  readonly modelFormat?: string;
}

/** Writes model.json, metrics.json, holdout.jsonl.gz and manifest.json (lib/artifacts); returns the manifest's sha256. */
export async function writeArtifact(store: ArtifactStore, dirUri: string, parts: ArtifactParts): Promise<string> {
  const files: ArtifactFileInput[] = [{ name: ARTIFACT_FILES.model, data: Buffer.from(serializeModel(parts.model)) }];
  const holdout = parts.holdout === undefined ? trainModels().holdout : parts.holdout;
  if (holdout) {
    files.push({ name: ARTIFACT_FILES.metrics, data: Buffer.from(JSON.stringify(holdoutMetrics(parts.model, holdout))) });
    const lines = holdout.rows.map((row, i) =>
      JSON.stringify(
        parts.holdoutShape === 'flat'
          ? { ...row, [LABEL_FIELD]: holdout.labels[i] === 1, event_time: holdout.times[i] }
          : { eventId: `e-${i}`, eventTime: holdout.times[i], label: holdout.labels[i], record: row },
      ),
    );
    files.push({ name: ARTIFACT_FILES.holdout, data: gzipSync(Buffer.from(`${lines.join('\n')}\n`)) });
  }
  const written = await writeManifested(
    store,
    dirUri,
    {
      runId: parts.runId,
      modelId: parts.modelId ?? MODEL_ID,
      modelFormat: parts.modelFormat ?? MODEL_FORMAT,
      dataWindow: { startTime: T0 - 86_400_000, endTime: T0, partitions: [] },
      rows: ROWS,
      positives: 400,
      codeVersion: 'evaluator-test',
      createdAt: T0,
    },
    files,
  );
  return written.manifestSha256;
}

/**
 * A gzip bomb made of concatenated members (gunzip reads them in sequence): each
 * expands to 1 MiB of blank lines (no rows, so only a byte bound stops it) from
 * about 2 KB. `poisoned`: a corrupt member at the very end, which only a reader
 * that decompressed everything would reach.
 */
export function gzipBomb(mebibytes: number, options: { readonly poisoned?: boolean } = {}): Buffer {
  const member = gzipSync(Buffer.from(`${' '.repeat(1023)}\n`.repeat(1024)), { level: 9 });
  const corrupt = Buffer.from(member);
  corrupt[20] = (corrupt[20] ?? 0) ^ 0xff;
  corrupt[30] = (corrupt[30] ?? 0) ^ 0xff;
  return Buffer.concat([...Array.from({ length: mebibytes }, () => member), ...(options.poisoned ? [corrupt] : [])]);
}

/** A model.json of a few hundred bytes declaring `buckets` hashing buckets (issue 14: 3e7 exhausted the heap). */
export function bucketBombModel(buckets = 30_000_000): Buffer {
  const model = JSON.parse(serializeModel(trainModels().good)) as Record<string, unknown>;
  model.pipeline = { features: [{ kind: 'hashing', name: 'merchant', buckets }], columns: [] };
  model.coefficients = [];
  return Buffer.from(JSON.stringify(model));
}

/** Files under a valid manifest: a crafted artifact, whose digests match and whose content is hostile. Returns the manifest's sha256. */
export async function writeCrafted(store: ArtifactStore, dirUri: string, runId: string, files: readonly ArtifactFileInput[]): Promise<string> {
  const fields = { runId, modelId: MODEL_ID, modelFormat: MODEL_FORMAT, dataWindow: { startTime: T0 - 86_400_000, endTime: T0, partitions: [] }, rows: ROWS, positives: 400, codeVersion: 'crafted', createdAt: T0 };
  return (await writeManifested(store, dirUri, fields, files)).manifestSha256;
}

/** A trigger-style request: requestedAt is the decision's event time, emittedAt the wall clock it was published at. */
export function retrainRequest(requestId: string, requestedAt = T0, emittedAt: number | null = requestedAt): RetrainRequested {
  return { ...SAMPLE_EVENTS.RetrainRequested, requestId, modelId: MODEL_ID, segment: null, requestedAt, championVersion: null, hyperparameters: null, requestedBy: 'trigger', emittedAt };
}

export interface CompletedInput {
  readonly runId: string;
  /** Default MODEL_ID. */
  readonly modelId?: string;
  readonly requestId: string;
  readonly artifactUri: string;
  readonly sha256: string;
  readonly metrics: ModelMetrics;
  readonly modelFormat?: string;
  readonly profile?: ReferenceProfile;
}

export function completed(input: CompletedInput): TrainingCompleted {
  const window = { startTime: T0 - 86_400_000, endTime: T0, partitions: [{ topic: 'fraud.features', partition: 0, startOffset: 0, endOffset: 4000 }] };
  return {
    runId: input.runId,
    requestId: input.requestId,
    modelId: input.modelId ?? MODEL_ID,
    status: 'SUCCEEDED',
    failure: null,
    artifactUri: input.artifactUri,
    artifactSha256: input.sha256,
    modelFormat: input.modelFormat ?? MODEL_FORMAT,
    metrics: input.metrics,
    holdoutRows: input.metrics.rows,
    holdoutPositives: input.metrics.positives,
    holdoutStartTime: T0,
    holdoutUri: `${input.artifactUri}${ARTIFACT_FILES.holdout}`,
    dataWindow: window,
    rows: 4000,
    positives: 400,
    profile: input.profile ?? trainModels().profile,
    trainerVersion: 'evaluator-test',
    startedAt: T0 + 1000,
    completedAt: T0 + 60_000,
  };
}

/** A champion published directly (as a deployment that already had one). */
export function championReady(version: number, artifactUri: string, sha: string, metrics: ModelMetrics, promotedAt = T0 - 86_400_000): ModelReady {
  return {
    modelId: MODEL_ID,
    version,
    artifactUri,
    artifactSha256: sha,
    modelFormat: MODEL_FORMAT,
    metrics,
    profile: { features: [], score: null, labelRate: null, labelledRows: null },
    lineage: { requestId: `seed-request-${version}`, runId: `seed-run-${version}`, evaluationId: `seed-evaluation-${version}`, reason: 'MANUAL', driftEvidence: null, dataWindow: null, parentVersion: version > 1 ? version - 1 : null },
    promotedAt,
    cause: 'PROMOTION',
    leaderEpoch: null,
    restoredVersion: null,
  };
}
