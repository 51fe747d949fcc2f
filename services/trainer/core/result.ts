import type { DataWindow, FailureInfo, ModelMetrics, PartitionRange, ReferenceProfile, TrainingCompleted } from '../../../lib/events';
import type { RunSpec } from '../../../lib/runspec';

/** TrainingCompleted for a run, success or failure: pure builders, so every trainer path fills the same fields. */

export interface RunFacts {
  readonly trainerVersion: string;
  readonly startedAt: number;
  readonly completedAt: number;
  /** Offsets actually read; the spec's own when nothing was read yet. */
  readonly partitions: readonly PartitionRange[] | null;
  readonly rows: number;
  readonly positives: number;
}

export interface SuccessFacts extends RunFacts {
  readonly artifactSha256: string;
  readonly modelFormat: string;
  readonly metrics: ModelMetrics;
  readonly holdoutStartTime: number | null;
  readonly holdoutUri: string | null;
  readonly profile: ReferenceProfile | null;
}

export function dataWindowOf(spec: RunSpec, partitions: readonly PartitionRange[] | null): DataWindow {
  return { startTime: spec.dataWindow.startTime, endTime: spec.dataWindow.endTime, partitions: [...(partitions ?? spec.dataWindow.partitions)] };
}

/** The artifact directory URI with exactly one trailing slash; files are `${dir}${name}`. */
export function artifactDir(uri: string): string {
  return `${uri.replace(/\/+$/, '')}/`;
}

export function succeeded(spec: RunSpec, facts: SuccessFacts): TrainingCompleted {
  return {
    runId: spec.runId,
    requestId: spec.requestId,
    modelId: spec.modelId,
    status: 'SUCCEEDED',
    failure: null,
    artifactUri: artifactDir(spec.artifactUri),
    artifactSha256: facts.artifactSha256,
    modelFormat: facts.modelFormat,
    metrics: facts.metrics,
    holdoutRows: facts.metrics.rows,
    holdoutPositives: facts.metrics.positives,
    holdoutStartTime: facts.holdoutStartTime,
    holdoutUri: facts.holdoutUri,
    dataWindow: dataWindowOf(spec, facts.partitions),
    rows: facts.rows,
    positives: facts.positives,
    profile: facts.profile,
    trainerVersion: facts.trainerVersion,
    startedAt: facts.startedAt,
    completedAt: facts.completedAt,
  };
}

export function failed(spec: RunSpec, failure: FailureInfo, facts: RunFacts): TrainingCompleted {
  return {
    runId: spec.runId,
    requestId: spec.requestId,
    modelId: spec.modelId,
    status: 'FAILED',
    failure,
    artifactUri: null,
    artifactSha256: null,
    modelFormat: null,
    metrics: null,
    holdoutRows: 0,
    holdoutPositives: 0,
    holdoutStartTime: null,
    holdoutUri: null,
    dataWindow: dataWindowOf(spec, facts.partitions),
    rows: facts.rows,
    positives: facts.positives,
    profile: null,
    trainerVersion: facts.trainerVersion,
    startedAt: facts.startedAt,
    completedAt: facts.completedAt,
  };
}
