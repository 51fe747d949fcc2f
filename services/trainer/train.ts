import type { ArtifactStore } from '../../lib/artifacts';
import { ARTIFACT_FILES } from '../../lib/artifacts';
import { writeArtifact } from '../../lib/artifacts/manifest';
import type { EventBus } from '../../lib/bus';
import { DEFAULT_TIMESTAMP_SLACK_MS } from '../../lib/bus/pin';
import type { Clock } from '../../lib/clock';
import type { AvroCodec, PlatformCodec } from '../../lib/codec';
import type { PartitionRange, TrainingCompleted } from '../../lib/events';
import type { Logger } from '../../lib/log';
import { MODEL_FORMAT, parseHyperparameters, serializeModel, type FeatureInput } from '../../lib/model';
import type { RunSpec } from '../../lib/runspec';
import { failureOf } from './core/failure';
import { joinLabels, readTimeOf, rowSetDigest, type JoinedRows } from './core/join';
import { checkEstimator, checkTrainable, trainModel } from './core/model';
import { artifactDir, failed, succeeded } from './core/result';
import { encodeHoldout } from './holdout';
import { publishResult, type TrainingResult } from './publish-result';
import { readWindow, type WindowData } from './read';
import { TRAINER_VERSION } from './version';

/**
 * The built-in trainer, end to end (the Railyard contract, docs/trainer-contract.md):
 * read the window, join labels, split out of time, fit, evaluate on the holdout,
 * profile the training rows, write the artifact, publish TrainingCompleted.
 * Never throws: every failure becomes a FAILED result with its exit code.
 */
export interface TrainerDeps {
  readonly bus: EventBus;
  readonly avroCodec: AvroCodec;
  readonly platformCodec: PlatformCodec;
  readonly artifacts: ArtifactStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface TrainerOptions {
  /** Read from this long before the window start (record timestamps are not event times). Default 5 min. */
  readonly timestampSlackMs?: number;
  readonly trainerVersion?: string;
}

/** How far before the window start an unpinned read starts (record timestamps are not event times). */
export { DEFAULT_TIMESTAMP_SLACK_MS };

/** What a run learnt before it stopped, for the FAILED event. */
interface Progress {
  ranges: PartitionRange[];
  rows: number;
  positives: number;
}

export async function runTraining(spec: RunSpec, deps: TrainerDeps, options: TrainerOptions = {}): Promise<TrainingResult> {
  const logger = deps.logger.child({ runId: spec.runId, modelId: spec.modelId });
  const trainerVersion = options.trainerVersion ?? TRAINER_VERSION;
  const startedAt = deps.clock.now();
  const progress: Progress = { ranges: [], rows: 0, positives: 0 };
  let event: TrainingCompleted;
  try {
    event = await train(spec, { ...deps, logger }, options, progress, { trainerVersion, startedAt });
  } catch (error) {
    const failure = failureOf(error);
    logger.error({ err: error, failure }, 'training failed');
    event = failed(spec, failure, {
      trainerVersion,
      startedAt,
      completedAt: deps.clock.now(),
      partitions: progress.ranges.length > 0 ? progress.ranges : null,
      rows: progress.rows,
      positives: progress.positives,
    });
  }
  return publishResult(event, { ...deps, logger });
}

/** Where a window is, in words, for messages. */
export function describeWindow(spec: RunSpec): string {
  const iso = (t: number): string => new Date(t).toISOString();
  const segment = spec.segment === null ? '' : ` (segment ${spec.segment})`;
  return `window [${iso(spec.dataWindow.startTime)}, ${iso(spec.dataWindow.endTime)}) of ${spec.model.data.featureTopic}${segment}`;
}

/** Read, join and check a window: shared by the built-in trainer and the toolkit's `fetch`. */
export async function readJoined(spec: RunSpec, deps: Pick<TrainerDeps, 'bus' | 'avroCodec' | 'logger'>, options: TrainerOptions, progress: Progress): Promise<{ window: WindowData; joined: JoinedRows; features: FeatureInput[] }> {
  const window = await readWindow(spec, deps.bus, deps.avroCodec, { timestampSlackMs: options.timestampSlackMs ?? DEFAULT_TIMESTAMP_SLACK_MS }, progress, deps.logger);
  const joined = joinLabels(window.events, window.labels, { readTime: readTimeOf(spec.dataWindow), labelMaturityMs: spec.model.data.labelMaturityMs });
  progress.rows = joined.rows.length;
  progress.positives = joined.positives;
  deps.logger.info({ counts: joined.counts, skipped: window.skipped, rows: joined.rows.length, positives: joined.positives, maturityHorizon: joined.maturityHorizon }, 'window read and joined');
  checkTrainable(joined, describeWindow(spec));
  const kinds = new Map(window.featurePlan?.features.map((f) => [f.name, f.kind]) ?? []);
  const features = spec.model.data.features.map((f): FeatureInput => ({ name: f.name, type: f.type ?? kinds.get(f.name) ?? null }));
  return { window, joined, features };
}

async function train(
  spec: RunSpec,
  deps: TrainerDeps,
  options: TrainerOptions,
  progress: Progress,
  run: { trainerVersion: string; startedAt: number },
): Promise<TrainingCompleted> {
  // Bad input fails before any data is read.
  checkEstimator(spec.model.training.estimator);
  parseHyperparameters(spec.hyperparameters);

  const { window, joined, features } = await readJoined(spec, deps, options, progress);
  const trained = trainModel(joined, {
    features,
    scoreField: window.featurePlan?.scoreField ?? null,
    hyperparameters: spec.hyperparameters,
    holdoutFraction: spec.model.training.holdout.fraction,
    validationFraction: spec.model.training.holdout.validationFraction,
    metadata: { modelId: spec.modelId, runId: spec.runId, requestId: spec.requestId, segment: spec.segment, trainedAt: deps.clock.now() },
  });
  deps.logger.info({ metrics: trained.metrics, trainRows: trained.trainRows, training: trained.model.training }, 'model fitted');

  const holdout = encodeHoldout(
    Array.from(trained.holdout, (i) => ({
      eventId: joined.eventIds[i] as string,
      eventTime: joined.times[i] as number,
      label: joined.labels[i] === 1 ? (1 as const) : (0 as const),
      record: joined.rows[i]!,
    })),
  );
  const json = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  const dir = artifactDir(spec.artifactUri);
  const written = await writeArtifact(
    deps.artifacts,
    dir,
    {
      runId: spec.runId,
      modelId: spec.modelId,
      modelFormat: MODEL_FORMAT,
      dataWindow: { startTime: spec.dataWindow.startTime, endTime: spec.dataWindow.endTime, partitions: progress.ranges },
      rows: joined.rows.length,
      positives: joined.positives,
      rowsSha256: rowSetDigest(joined),
      codeVersion: run.trainerVersion,
      createdAt: deps.clock.now(),
    },
    [
      { name: ARTIFACT_FILES.model, data: Buffer.from(serializeModel(trained.model)) },
      { name: ARTIFACT_FILES.profile, data: json(trained.profile) },
      { name: ARTIFACT_FILES.metrics, data: json(trained.metrics) },
      { name: ARTIFACT_FILES.holdout, data: holdout },
    ],
  );
  deps.logger.info({ artifactUri: dir, sha256: written.manifestSha256 }, 'artifact written');
  return succeeded(spec, {
    trainerVersion: run.trainerVersion,
    startedAt: run.startedAt,
    completedAt: deps.clock.now(),
    partitions: progress.ranges,
    rows: joined.rows.length,
    positives: joined.positives,
    artifactSha256: written.manifestSha256,
    modelFormat: MODEL_FORMAT,
    metrics: trained.metrics,
    holdoutStartTime: trained.holdoutStartTime,
    holdoutUri: `${dir}${ARTIFACT_FILES.holdout}`,
    profile: trained.profile,
  });
}
