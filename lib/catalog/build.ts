/**
 * From the validated file to the Catalog services use: rename durations to `...Ms`,
 * turn absent optionals into null, resolve defaults that depend on other fields,
 * and freeze everything so no service can change what another one reads.
 */
import { GATE_LIMIT_NAMES, GATE_LIMITS, METRICS } from './metrics';
import type { CatalogFileOutput, ModelOutput } from './schema';
import type { Catalog, FeatureSpec, GateSpec, JsonValue, ModelSpec, TriggerSpec, TrainingSpec, WindowSpec } from './types';

type Out<K extends keyof ModelOutput> = ModelOutput[K];

export function buildCatalog(file: CatalogFileOutput): Catalog {
  return deepFreeze({ version: file.version, models: file.models.map(buildModel) });
}

function buildModel(model: ModelOutput): ModelSpec {
  const { data } = model;
  return {
    id: model.id,
    description: model.description,
    family: model.family === undefined ? null : { ...model.family },
    data: {
      featureTopic: data.featureTopic,
      labelTopic: data.labelTopic,
      eventIdField: data.eventIdField,
      eventTimeField: data.eventTimeField,
      labelEventIdField: data.labelEventIdField ?? data.eventIdField,
      labelTimeField: data.labelTimeField,
      labelField: data.labelField,
      labelMaturityMs: data.labelMaturity,
      allowedFutureSkewMs: data.allowedFutureSkew,
      idlePartitionTimeoutMs: data.idlePartitionTimeout,
      scoreField: data.scoreField ?? null,
      features: data.features.map(
        (f): FeatureSpec => ({
          name: f.name,
          type: f.type ?? null,
          critical: f.critical,
          drift: f.drift === undefined ? null : { method: f.drift.method ?? null, threshold: f.drift.threshold ?? null, minEffect: f.drift.minEffect ?? null },
        }),
      ),
    },
    triggers: buildTriggers(model.triggers, data.scoreField !== undefined),
    training: buildTraining(model.training),
    evaluation: {
      gates: model.evaluation.gates.map(buildGate),
      minHoldoutRows: model.evaluation.minHoldoutRows,
      minHoldoutPositives: model.evaluation.minHoldoutPositives,
      maxCalibrationError: model.evaluation.maxCalibrationError,
      firstModel: model.evaluation.firstModel,
    },
  };
}

function buildTriggers(t: Out<'triggers'>, hasScore: boolean): TriggerSpec {
  const w = t.drift.window;
  const window: WindowSpec =
    w.type === 'time'
      ? { type: 'time', sizeMs: w.size, allowedLatenessMs: w.allowedLateness, ...(w.hop === undefined || w.hop === w.size ? {} : { hopMs: w.hop }) }
      : { type: 'count', size: w.size, resolutionMs: w.resolution, allowedLatenessMs: w.allowedLateness ?? w.resolution, ...(w.hop === undefined || w.hop === w.size ? {} : { hop: w.hop }) };
  return {
    drift: { ...t.drift, window, threshold: t.drift.threshold ?? null },
    score: { enabled: t.score.enabled && hasScore, method: t.score.method, threshold: t.score.threshold ?? null },
    fraudRate: { ...t.fraudRate },
    volume: { ...t.volume },
    performance: {
      enabled: t.performance.enabled && hasScore,
      metric: t.performance.metric,
      maxDrop: t.performance.maxDrop,
      minRows: t.performance.minRows,
      minPositives: t.performance.minPositives,
      windowMs: t.performance.window,
      sampleRate: t.performance.sampleRate,
      maxSampled: t.performance.maxSampled,
    },
    maxAgeMs: t.maxAge,
    cooldownMs: t.cooldown,
    refire: { backoffMs: t.refire.backoff, maxBackoffMs: t.refire.maxBackoff },
  };
}

function buildTraining(t: Out<'training'>): TrainingSpec {
  return {
    image: t.image,
    command: [...t.command],
    args: [...t.args],
    env: { ...t.env },
    resources: { ...t.resources },
    nodeSelector: { ...t.nodeSelector },
    tolerations: t.tolerations.map((x) => ({
      key: x.key ?? null,
      operator: x.operator,
      value: x.value ?? null,
      effect: x.effect ?? null,
      tolerationSeconds: x.tolerationSeconds ?? null,
    })),
    priorityClassName: t.priorityClassName,
    serviceAccountName: t.serviceAccountName,
    deadlineMs: t.deadline,
    retries: t.retries,
    ttlAfterFinishedMs: t.ttlAfterFinished,
    queue: t.queue,
    inFlightPolicy: t.inFlightPolicy,
    holdout: { ...t.holdout },
    lookbackMs: t.lookback,
    estimator: t.estimator,
    hyperparameters: structuredClone(t.hyperparameters) as { [key: string]: JsonValue },
  };
}

function buildGate(gate: Out<'evaluation'>['gates'][number]): GateSpec {
  // Validation guarantees exactly one limit, in the metric's direction.
  const limit = GATE_LIMIT_NAMES.find((name) => gate[name] !== undefined);
  const value = limit === undefined ? undefined : gate[limit];
  if (limit === undefined || value === undefined) throw new Error(`gate on ${gate.metric} has no limit (validation should have refused it)`);
  return { metric: gate.metric, direction: METRICS[gate.metric].direction, limit, value, relativeToChampion: GATE_LIMITS[limit].relativeToChampion };
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
