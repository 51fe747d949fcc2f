/**
 * The catalog as services see it: fully defaulted, deeply frozen, durations in
 * milliseconds (`...Ms`), absent optional values as null. Field meanings are in
 * docs/catalog.md; the YAML names are the same minus the Ms suffix.
 */
import type { DriftMethod, DriftMethodChoice, FeatureType } from './drift-methods';
import type { GateLimit, MetricDirection, MetricName } from './metrics';

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface Catalog {
  readonly version: 1;
  readonly models: readonly ModelSpec[];
}

export interface ModelSpec {
  readonly id: string;
  readonly description: string;
  /** Non-null: one model per value of `family.segmentField`. */
  readonly family: FamilySpec | null;
  readonly data: DataSpec;
  readonly triggers: TriggerSpec;
  readonly training: TrainingSpec;
  readonly evaluation: EvaluationSpec;
}

export interface FamilySpec {
  readonly segmentField: string;
  readonly minMaturedLabels: number;
  readonly maxSegments: number;
  /** Member shards: the family's members are judged in this many independent parts (keys of the partials topic). */
  readonly shards: number;
}

export interface DataSpec {
  readonly featureTopic: string;
  readonly labelTopic: string;
  readonly eventIdField: string;
  readonly eventTimeField: string;
  /** Defaults to eventIdField. */
  readonly labelEventIdField: string;
  readonly labelTimeField: string;
  readonly labelField: string;
  readonly labelMaturityMs: number;
  /** An event time above max(watermark, record timestamp) + this is dead-lettered (EVENT_TIME_OUT_OF_RANGE). */
  readonly allowedFutureSkewMs: number;
  /** A caught-up partition whose watermark is this far (event time) behind the topic's newest stops holding windows back. */
  readonly idlePartitionTimeoutMs: number;
  readonly scoreField: string | null;
  readonly features: readonly FeatureSpec[];
}

export interface FeatureSpec {
  readonly name: string;
  /** Null: infer from the Avro type at start-up. */
  readonly type: FeatureType | null;
  readonly critical: boolean;
  /** Null: use triggers.drift.method / threshold. */
  readonly drift: FeatureDriftOverride | null;
}

export interface FeatureDriftOverride {
  readonly method: DriftMethodChoice | null;
  readonly threshold: number | null;
  /** Null: triggers.drift.minEffect. Only set on a feature under the false-alarm budget (checked at load). */
  readonly minEffect: number | null;
}

export interface TriggerSpec {
  readonly drift: DriftPolicy;
  readonly score: ScoreDriftPolicy;
  readonly fraudRate: FraudRatePolicy;
  readonly volume: VolumePolicy;
  readonly performance: PerformancePolicy;
  /** Null: no age rule. */
  readonly maxAgeMs: number | null;
  readonly cooldownMs: number;
  readonly refire: RefirePolicy;
}

/**
 * After a run that ended without a promotion, the model's next request waits
 * min(backoffMs × 2^(n−1), maxBackoffMs) of event time (n: such runs in a row
 * for the current champion).
 */
export interface RefirePolicy {
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

/** `hopMs` / `hop`: sliding windows judged every hop (absent: tumbling). */
export type WindowSpec =
  | { readonly type: 'time'; readonly sizeMs: number; readonly allowedLatenessMs: number; readonly hopMs?: number }
  | { readonly type: 'count'; readonly size: number; readonly resolutionMs: number; readonly allowedLatenessMs: number; readonly hop?: number };

/** The event-time slice a window is made of: the whole window (or its hop) for time windows, the resolution for count windows. */
export function sliceOf(window: WindowSpec): { readonly sliceMs: number; readonly allowedLatenessMs: number } {
  return window.type === 'time' ? { sliceMs: window.hopMs ?? window.sizeMs, allowedLatenessMs: window.allowedLatenessMs } : { sliceMs: window.resolutionMs, allowedLatenessMs: window.allowedLatenessMs };
}

/** The share of a window a hop is (1 for tumbling windows): how many judgements share one window's false-alarm budget. */
export function hopFraction(window: WindowSpec): number {
  if (window.type === 'time') return window.hopMs === undefined ? 1 : window.hopMs / window.sizeMs;
  return window.hop === undefined ? 1 : Math.min(1, window.hop / window.size);
}

export interface DriftPolicy {
  readonly enabled: boolean;
  readonly window: WindowSpec;
  readonly method: DriftMethodChoice;
  /** Null: the chosen test's default (lib/stats DEFAULT_THRESHOLDS). Never set when method is auto. */
  readonly threshold: number | null;
  readonly minSamples: number;
  readonly driftShare: number;
  readonly consecutiveWindows: number;
  readonly bootstrapEvents: number;
  /** Null: no Benjamini–Hochberg correction. */
  readonly falseDiscoveryRate: number | null;
  /** The false-alarm budget (lib/stats budget.ts); null: no budget, fixed thresholds and the share rule. */
  readonly windowsPerFalseAlarm: number | null;
  /** Under the budget, the smallest effect (KS D, total variation) that counts as drift. */
  readonly minEffect: number;
}

export interface ScoreDriftPolicy {
  /** False whenever the model has no data.scoreField. */
  readonly enabled: boolean;
  readonly method: Extract<DriftMethodChoice, 'auto' | 'psi' | 'ks' | 'jensenshannon' | 'wasserstein'>;
  readonly threshold: number | null;
}

export interface FraudRatePolicy {
  readonly enabled: boolean;
  readonly maxRelativeChange: number;
  readonly minLabels: number;
}

/**
 * The champion's realised metric on matured labels (services/trigger/core/performance.ts).
 * Disabled in the loaded catalog whenever the model has no data.scoreField.
 */
export interface PerformancePolicy {
  readonly enabled: boolean;
  readonly metric: 'prAuc' | 'recallAt1PctFpr' | 'logLoss';
  readonly maxDrop: number;
  readonly minRows: number;
  readonly minPositives: number;
  readonly windowMs: number;
  readonly sampleRate: number;
  readonly maxSampled: number;
}

export interface VolumePolicy {
  readonly enabled: boolean;
  readonly minNewLabels: number;
}

export interface ResourceSpec {
  readonly cpu: string;
  readonly memory: string;
  readonly gpu: number;
  readonly gpuResource: string;
}

export interface TolerationSpec {
  readonly key: string | null;
  readonly operator: 'Equal' | 'Exists';
  readonly value: string | null;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | null;
  readonly tolerationSeconds: number | null;
}

export interface HoldoutSpec {
  readonly fraction: number;
  readonly validationFraction: number;
}

export type InFlightPolicy = 'queue' | 'supersede';

export interface TrainingSpec {
  readonly image: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly resources: ResourceSpec;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly TolerationSpec[];
  readonly priorityClassName: string | null;
  readonly serviceAccountName: string | null;
  readonly deadlineMs: number;
  readonly retries: number;
  /** Null: keep finished Jobs. */
  readonly ttlAfterFinishedMs: number | null;
  /** Kueue LocalQueue; null = no Kueue. */
  readonly queue: string | null;
  readonly inFlightPolicy: InFlightPolicy;
  readonly holdout: HoldoutSpec;
  readonly lookbackMs: number;
  readonly estimator: string;
  readonly hyperparameters: { readonly [key: string]: JsonValue };
}

export interface GateSpec {
  readonly metric: MetricName;
  readonly direction: MetricDirection;
  readonly limit: GateLimit;
  readonly value: number;
  /** True for maxDrop, maxRelativeDrop, maxIncrease, maxRelativeIncrease. */
  readonly relativeToChampion: boolean;
}

export type FirstModelPolicy = 'promote' | 'reject' | 'gates-only';

export interface EvaluationSpec {
  readonly gates: readonly GateSpec[];
  readonly minHoldoutRows: number;
  readonly minHoldoutPositives: number;
  /** Null: calibration not checked. */
  readonly maxCalibrationError: number | null;
  readonly firstModel: FirstModelPolicy;
}

export type { DriftMethod, DriftMethodChoice, FeatureType, GateLimit, MetricDirection, MetricName };
