import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ArtifactStore } from '../../lib/artifacts';
import { ARTIFACT_FILES } from '../../lib/artifacts';
import { writeArtifact } from '../../lib/artifacts/manifest';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import { decodeTrainingCompleted, type FailureInfo, type ModelMetrics, type PartitionRange, type ReferenceProfile, type TrainingCompleted } from '../../lib/events';
import { buildReferenceProfile, outOfTimeSplit, withImportance, type FeatureInput } from '../../lib/model';
import type { RunSpec } from '../../lib/runspec';
import { TRAINER_EXIT } from '../../lib/runspec';
import { failureOf } from './core/failure';
import type { JoinedRows } from './core/join';
import { artifactDir, failed, succeeded } from './core/result';
import { encodeHoldout, toJsonValue } from './holdout';
import { publishResult, type TrainingResult } from './publish-result';
import { readJoined, type TrainerDeps, type TrainerOptions } from './train';
import { TRAINER_VERSION } from './version';

/**
 * The trainer toolkit: the platform's half of the contract for custom trainers
 * that would rather not talk to Kafka, the registry and the artifact store
 * themselves (examples/python-trainer). Two steps around the user's code:
 *
 *   fetch --out DIR    read + join + split the window exactly as the built-in
 *                      trainer does; write DIR/context.json, DIR/{train,validation,holdout}.jsonl
 *                      and the platform's artifact files DIR/artifact/{profile.json,holdout.jsonl.gz}
 *   (user code)        fit on train.jsonl, score holdout.jsonl, write DIR/artifact/model.json
 *                      (any further files too), DIR/artifact/metrics.json and DIR/result.json
 *   publish --from DIR upload DIR/artifact/* with a manifest, publish TrainingCompleted
 *
 * Layout and file formats: docs/trainer-contract.md ("The toolkit").
 */

/** FailureInfo.code of a custom trainer that exited without writing result.json. */
export const CRASHED = 'TRAINER_CRASHED';

export const WORK_FILES = {
  context: 'context.json',
  train: 'train.jsonl',
  validation: 'validation.jsonl',
  holdout: 'holdout.jsonl',
  result: 'result.json',
  artifactDir: 'artifact',
} as const;

export interface FetchContext {
  readonly version: 1;
  readonly spec: RunSpec;
  readonly features: readonly FeatureInput[];
  readonly scoreField: string | null;
  readonly startedAt: number;
  readonly partitions: readonly PartitionRange[];
  readonly rows: number;
  readonly positives: number;
  readonly trainRows: number;
  readonly validationRows: number;
  readonly holdoutRows: number;
  readonly holdoutPositives: number;
  readonly holdoutStartTime: number | null;
}

/** DIR/result.json, written by the user's trainer. */
export type TrainerResultFile =
  | { readonly status: 'SUCCEEDED'; readonly modelFormat: string; readonly trainerVersion?: string; readonly featureImportance?: Readonly<Record<string, number>> }
  | { readonly status: 'FAILED'; readonly failure: FailureInfo; readonly trainerVersion?: string };

function jsonl(joined: JoinedRows, idx: Int32Array): string {
  let out = '';
  for (const i of idx) {
    out += `${JSON.stringify({ eventId: joined.eventIds[i], eventTime: joined.times[i], label: joined.labels[i], record: toJsonValue(joined.rows[i]) })}\n`;
  }
  return out;
}

/** `fetch`: never throws; a window that cannot train publishes its FAILED result here. */
export async function fetchWindow(spec: RunSpec, outDir: string, deps: TrainerDeps, options: TrainerOptions = {}): Promise<TrainingResult | null> {
  const startedAt = deps.clock.now();
  const progress = { ranges: [] as PartitionRange[], rows: 0, positives: 0 };
  try {
    const { window, joined, features } = await readJoined(spec, deps, options, progress);
    const split = outOfTimeSplit(joined.times, { holdoutFraction: spec.model.training.holdout.fraction, validationFraction: spec.model.training.holdout.validationFraction });
    const trainLabels = Uint8Array.from(split.train, (i) => joined.labels[i] as number);
    const holdoutPositives = Array.from(split.holdout).reduce((n, i) => n + (joined.labels[i] as number), 0);
    const scoreField = window.featurePlan?.scoreField ?? null;
    const profile: ReferenceProfile = buildReferenceProfile(Array.from(split.train, (i) => joined.rows[i]!), trainLabels, { features, scoreField });
    const artifact = path.join(outDir, WORK_FILES.artifactDir);
    await fs.mkdir(artifact, { recursive: true });
    await fs.writeFile(path.join(outDir, WORK_FILES.train), jsonl(joined, split.train));
    await fs.writeFile(path.join(outDir, WORK_FILES.validation), jsonl(joined, split.validation));
    await fs.writeFile(path.join(outDir, WORK_FILES.holdout), jsonl(joined, split.holdout));
    const holdoutRows = Array.from(split.holdout, (i) => ({ eventId: joined.eventIds[i]!, eventTime: joined.times[i]!, label: joined.labels[i] === 1 ? (1 as const) : (0 as const), record: joined.rows[i]! }));
    await fs.writeFile(path.join(artifact, ARTIFACT_FILES.holdout), encodeHoldout(holdoutRows));
    await fs.writeFile(path.join(artifact, ARTIFACT_FILES.profile), `${JSON.stringify(profile, null, 2)}\n`);
    const context: FetchContext = {
      version: 1,
      spec,
      features,
      scoreField,
      startedAt,
      partitions: progress.ranges,
      rows: joined.rows.length,
      positives: joined.positives,
      trainRows: split.train.length,
      validationRows: split.validation.length,
      holdoutRows: split.holdout.length,
      holdoutPositives,
      holdoutStartTime: split.holdoutStartTime,
    };
    await fs.writeFile(path.join(outDir, WORK_FILES.context), `${JSON.stringify(context, null, 2)}\n`);
    deps.logger.info({ outDir, rows: context.rows, trainRows: context.trainRows, holdoutRows: context.holdoutRows }, 'window fetched for a custom trainer');
    return null;
  } catch (error) {
    const failure = failureOf(error);
    deps.logger.error({ err: error, failure }, 'fetch failed');
    const event = failed(spec, failure, {
      trainerVersion: TRAINER_VERSION,
      startedAt,
      completedAt: deps.clock.now(),
      partitions: progress.ranges.length > 0 ? progress.ranges : null,
      rows: progress.rows,
      positives: progress.positives,
    });
    return publishResult(event, deps);
  }
}

async function readJson<T>(file: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `${what} ${file} is missing: ${(error as Error).message}`, { retriable: false, cause: error });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `${what} ${file} is not JSON: ${(error as Error).message}`, { retriable: false, cause: error });
  }
}

/**
 * `publish`: turn what the user's trainer left in DIR into the run's result.
 * `trainerExit` is the user code's exit code: without a result.json, a non-zero
 * exit is a crash (retriable unless it was BAD_INPUT).
 */
export async function publishWork(spec: RunSpec, workDir: string, trainerExit: number | null, deps: TrainerDeps & { artifacts: ArtifactStore }): Promise<TrainingResult> {
  const context = await readJson<FetchContext>(path.join(workDir, WORK_FILES.context), 'the fetch context').catch(() => null);
  const facts = {
    trainerVersion: TRAINER_VERSION,
    startedAt: context?.startedAt ?? deps.clock.now(),
    completedAt: deps.clock.now(),
    partitions: context?.partitions ?? null,
    rows: context?.rows ?? 0,
    positives: context?.positives ?? 0,
  };
  let event: TrainingCompleted;
  try {
    if (context === null) throw new RoundhouseError(ErrorCodes.VALIDATION, `${workDir} holds no ${WORK_FILES.context}: run \`fetch\` first`, { retriable: false });
    const resultFile = path.join(workDir, WORK_FILES.result);
    const hasResult = await fs.access(resultFile).then(
      () => true,
      () => false,
    );
    const result = hasResult ? await readJson<TrainerResultFile>(resultFile, 'the trainer result') : null;
    const trainerVersion = typeof result?.trainerVersion === 'string' && result.trainerVersion.length > 0 ? result.trainerVersion : TRAINER_VERSION;
    if (result === null) {
      // The user's code died without a word: a crash, retried like any unknown exit unless it said BAD_INPUT.
      const code = trainerExit ?? -1;
      event = failed(spec, { code: CRASHED, message: `the trainer wrote no ${WORK_FILES.result} (exit code ${code})`, retriable: code !== TRAINER_EXIT.BAD_INPUT }, facts);
    } else if (result.status === 'FAILED') {
      event = failed(spec, checkFailure(result.failure), { ...facts, trainerVersion, completedAt: deps.clock.now() });
    } else if (result.status === 'SUCCEEDED') {
      event = await uploadAndDescribe(spec, workDir, context, result, trainerVersion, deps);
    } else {
      throw new RoundhouseError(ErrorCodes.VALIDATION, `${WORK_FILES.result}: status must be SUCCEEDED or FAILED`, { retriable: false });
    }
  } catch (error) {
    const failure = failureOf(error);
    deps.logger.error({ err: error, failure }, 'publish failed');
    event = failed(spec, failure, { ...facts, completedAt: deps.clock.now() });
  }
  return publishResult(event, deps);
}

function checkFailure(f: unknown): FailureInfo {
  const o = (f ?? {}) as Partial<FailureInfo>;
  if (typeof o.code !== 'string' || typeof o.message !== 'string' || typeof o.retriable !== 'boolean') {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `${WORK_FILES.result}: failure must be { code: string, message: string, retriable: boolean }`, { retriable: false });
  }
  return { code: o.code, message: o.message, retriable: o.retriable };
}

async function uploadAndDescribe(
  spec: RunSpec,
  workDir: string,
  context: FetchContext,
  result: { readonly modelFormat: string; readonly featureImportance?: unknown },
  trainerVersion: string,
  deps: TrainerDeps,
): Promise<TrainingCompleted> {
  const artifact = path.join(workDir, WORK_FILES.artifactDir);
  const names = (await fs.readdir(artifact, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name);
  for (const required of [ARTIFACT_FILES.model, ARTIFACT_FILES.metrics, ARTIFACT_FILES.profile, ARTIFACT_FILES.holdout]) {
    if (!names.includes(required)) throw new RoundhouseError(ErrorCodes.VALIDATION, `${artifact} has no ${required}`, { retriable: false });
  }
  if (names.includes(ARTIFACT_FILES.manifest)) throw new RoundhouseError(ErrorCodes.VALIDATION, `${artifact}: ${ARTIFACT_FILES.manifest} is the platform's to write`, { retriable: false });
  if (typeof result.modelFormat !== 'string' || result.modelFormat.length === 0) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `${WORK_FILES.result}: modelFormat must be a non-empty string`, { retriable: false });
  }
  const metrics = await readJson<ModelMetrics>(path.join(artifact, ARTIFACT_FILES.metrics), 'metrics');
  if (metrics.rows !== context.holdoutRows || metrics.positives !== context.holdoutPositives) {
    throw new RoundhouseError(
      ErrorCodes.VALIDATION,
      `metrics.json: computed on ${String(metrics.rows)} rows with ${String(metrics.positives)} positives, but the holdout has ${context.holdoutRows} rows with ${context.holdoutPositives} positives`,
      { retriable: false },
    );
  }
  let profile = await readJson<ReferenceProfile>(path.join(artifact, ARTIFACT_FILES.profile), 'profile');
  if (result.featureImportance !== undefined) {
    // The trainer's own importances (result.json), checked, into the profile the event and the artifact carry.
    try {
      profile = withImportance(profile, result.featureImportance);
    } catch (error) {
      throw new RoundhouseError(ErrorCodes.VALIDATION, `${WORK_FILES.result}: ${(error as Error).message}`, { retriable: false });
    }
    await fs.writeFile(path.join(artifact, ARTIFACT_FILES.profile), `${JSON.stringify(profile, null, 2)}\n`);
  }
  const dir = artifactDir(spec.artifactUri);
  const files = await Promise.all(names.sort().map(async (name) => ({ name, data: await fs.readFile(path.join(artifact, name)) })));
  // Check the event before writing anything: a malformed metrics.json is the trainer's bug, not a half-published run.
  const draft = (sha: string): TrainingCompleted =>
    succeeded(spec, {
      trainerVersion,
      startedAt: context.startedAt,
      completedAt: deps.clock.now(),
      partitions: context.partitions,
      rows: context.rows,
      positives: context.positives,
      artifactSha256: sha,
      modelFormat: result.modelFormat,
      metrics,
      holdoutStartTime: context.holdoutStartTime,
      holdoutUri: `${dir}${ARTIFACT_FILES.holdout}`,
      profile,
    });
  decodeChecked(draft('0'.repeat(64)));
  const written = await writeArtifact(
    deps.artifacts,
    dir,
    {
      runId: spec.runId,
      modelId: spec.modelId,
      modelFormat: result.modelFormat,
      dataWindow: { startTime: spec.dataWindow.startTime, endTime: spec.dataWindow.endTime, partitions: context.partitions },
      rows: context.rows,
      positives: context.positives,
      codeVersion: trainerVersion,
      createdAt: deps.clock.now(),
    },
    files,
  );
  return draft(written.manifestSha256);
}

/** Our own decoder over the event (as plain data): names every field the trainer got wrong. */
function decodeChecked(event: TrainingCompleted): void {
  try {
    decodeTrainingCompleted(JSON.parse(JSON.stringify(event)));
  } catch (error) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `the trainer's result does not make a valid TrainingCompleted: ${(error as Error).message}`, { retriable: false, cause: error });
  }
}
