/**
 * Realistic samples of every platform event, for round-trip tests here and
 * against the real registry elsewhere. SAMPLE_EVENTS fills every optional field
 * (so each union's non-null branch is exercised); MINIMAL_SAMPLE_EVENTS leaves
 * them null (the other branch). One story: drift on fraud-card-v1 leads to a
 * retrain, a run, a result, a passing evaluation and version 8 going live.
 */
import type { EventName } from './schemas';
import type { EventTypes } from './decode';
import type {
  DataWindow,
  DriftEvidence,
  Lineage,
  ModelEvaluated,
  ModelMetrics,
  ModelReady,
  ReferenceProfile,
  RetrainRequested,
  TrainingCompleted,
  TrainingRun,
} from './types.generated';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0); // decision time
const DAY = 86_400_000;
const MODEL = 'fraud-card-v1';
const REQUEST_ID = 'rr-fraud-card-v1-drift-7f3c9a1e';
const RUN_ID = 'run-7f3c9a1e-1';
const EVALUATION_ID = 'ev-fraud-card-v1-run-7f3c9a1e-1';

const WINDOW: DataWindow = {
  startTime: T0 - 60 * DAY,
  endTime: T0 - 30 * DAY,
  partitions: [
    { topic: 'fraud.features', partition: 0, startOffset: 1_204_331, endOffset: 1_988_120 },
    { topic: 'fraud.features', partition: 1, startOffset: 1_198_002, endOffset: 1_979_874 },
    { topic: 'fraud.labels', partition: 0, startOffset: 40_112, endOffset: 61_908 },
  ],
};

const DRIFT: DriftEvidence = {
  windowStart: T0 - DAY,
  windowEnd: T0,
  features: [
    {
      feature: 'amount',
      kind: 'NUMERIC',
      test: 'PSI',
      statistic: 0.27,
      pValue: null,
      threshold: 0.2,
      drifted: true,
      referenceCount: 1_204_118,
      currentCount: 41_872,
      critical: false,
      weight: null,
    },
    {
      feature: 'merchant_category',
      kind: 'CATEGORICAL',
      test: 'CHI_SQUARE',
      statistic: 412.8,
      pValue: 0.0003,
      threshold: 0.01,
      drifted: true,
      referenceCount: 1_204_118,
      currentCount: 41_872,
      critical: true,
      weight: null,
    },
    {
      feature: 'card_age_days',
      kind: 'NUMERIC',
      test: 'KS',
      statistic: 0.021,
      pValue: 0.41,
      threshold: 0.01,
      drifted: false,
      referenceCount: 1_204_118,
      currentCount: 41_872,
      critical: false,
      weight: null,
    },
  ],
  driftedShare: 2 / 3,
  driftedShareThreshold: 0.3,
  datasetRule: 'driftedShare >= 0.3 OR any critical feature drifted',
  bootstrapReference: false,
  sourceOffsets: [
    { topic: 'fraud.features', partition: 0, startOffset: 1_200_000, endOffset: 1_214_000 },
    { topic: 'fraud.features', partition: 1, startOffset: 1_190_512, endOffset: 1_204_390 },
  ],
  scoreDrift: {
    feature: 'model_score',
    kind: 'NUMERIC',
    test: 'JENSEN_SHANNON',
    statistic: 0.08,
    pValue: null,
    threshold: 0.1,
    drifted: false,
    referenceCount: 1_204_118,
    currentCount: 41_872,
    critical: false,
    weight: null,
  },
  fraudRateDrift: {
    feature: 'label_rate',
    kind: 'NUMERIC',
    test: 'Z_TEST',
    statistic: 3.4,
    pValue: 0.0007,
    threshold: 0.01,
    drifted: true,
    referenceCount: 21_796,
    currentCount: 3_912,
    critical: false,
    weight: null,
  },
};

const CANDIDATE_METRICS: ModelMetrics = {
  rocAuc: 0.957,
  prAuc: 0.612,
  logLoss: 0.0391,
  brier: 0.0094,
  recallAt1PctFpr: 0.583,
  precisionAtK: 0.71,
  k: 500,
  expectedCalibrationError: 0.0042,
  rows: 156_208,
  positives: 1_871,
  extra: { 'recall@0.5%fpr': 0.471, 'dollar_recall@1%fpr': 0.664 },
};

const CHAMPION_METRICS: ModelMetrics = {
  ...CANDIDATE_METRICS,
  rocAuc: 0.941,
  prAuc: 0.574,
  logLoss: 0.0423,
  brier: 0.0101,
  recallAt1PctFpr: 0.552,
  precisionAtK: 0.68,
  expectedCalibrationError: 0.0057,
  extra: {},
};

const PROFILE: ReferenceProfile = {
  features: [
    {
      name: 'amount',
      kind: 'NUMERIC',
      binEdges: [5, 12.5, 25, 48, 90, 180, 400],
      binProportions: [0.08, 0.14, 0.19, 0.2, 0.17, 0.12, 0.07, 0.03],
      categories: {},
      missingShare: 0,
      count: 780_912,
      binMeans: [2.1, 8.4, 18.2, 35.6, 67.9, 128.4, 271.5, 812.3],
      nanShare: 0,
      mean: 92.4,
      std: 187.6,
      importance: null,
    },
    {
      name: 'merchant_category',
      kind: 'CATEGORICAL',
      binEdges: [],
      binProportions: [],
      categories: { '5411': 0.31, '5812': 0.18, '5732': 0.07, '4829': 0.02, __other__: 0.42 },
      missingShare: 0,
      count: 780_912,
      binMeans: [],
      nanShare: 0,
      mean: 0,
      std: 0,
      importance: null,
    },
    {
      name: 'distance_from_home_km',
      kind: 'NUMERIC',
      binEdges: [1, 5, 20, 100, 500],
      binProportions: [0.22, 0.31, 0.24, 0.13, 0.07, 0.03],
      categories: {},
      missingShare: 0.118,
      count: 780_912,
      binMeans: [0.4, 2.7, 11.3, 48.2, 212.9, 1480.5],
      nanShare: 0.002,
      mean: 61.7,
      std: 240.3,
      importance: null,
    },
  ],
  score: {
    name: 'model_score',
    kind: 'NUMERIC',
    binEdges: [0.01, 0.05, 0.1, 0.3, 0.6],
    binProportions: [0.71, 0.17, 0.06, 0.04, 0.013, 0.007],
    categories: {},
    missingShare: 0,
    count: 780_912,
    binMeans: [0.003, 0.027, 0.072, 0.18, 0.43, 0.81],
    nanShare: 0,
    mean: 0.031,
    std: 0.082,
    importance: null,
  },
  labelRate: 0.0119,
  labelledRows: 780_912,
};

export const sampleRetrainRequested: RetrainRequested = {
  requestId: REQUEST_ID,
  modelId: MODEL,
  segment: 'mrc_48213',
  reason: 'DRIFT',
  requestedAt: T0,
  window: WINDOW,
  drift: DRIFT,
  volume: { newMaturedLabels: 52_310, newMaturedPositives: 611, threshold: 50_000, since: T0 - 90 * DAY },
  age: { championPromotedAt: T0 - 41 * DAY, ageMs: 41 * DAY, maxAgeMs: 90 * DAY, championDataWindowEnd: T0 - 41 * DAY },
  performance: { metric: 'prAuc', observed: 0.55, baseline: 0.574, maxDrop: 0.05, labelledRows: 18_204, positives: 182, windowStart: T0 - 86_400_000, windowEnd: T0, sampleRate: 0.1 },
  championVersion: 7,
  hyperparameters: '{"l2":0.001,"epochs":20,"learningRate":0.05}',
  requestedBy: 'oncall@roundhouse.dev',
  emittedAt: T0 + 1_000,
};

export const sampleTrainingRun: TrainingRun = {
  runId: RUN_ID,
  requestId: REQUEST_ID,
  modelId: MODEL,
  state: 'FAILED',
  previousState: 'RUNNING',
  reason: 'DRIFT',
  priority: 10,
  executor: 'kubernetes',
  jobName: 'rh-fraud-card-v1-7f3c9a1e',
  attempt: 2,
  message: 'Job has reached the specified backoff limit',
  failure: { code: 'STORAGE_UNAVAILABLE', message: 'artifact store returned 503', retriable: true },
  dataWindow: WINDOW,
  hyperparameters: '{"l2":0.001,"epochs":20,"learningRate":0.05}',
  createdAt: T0 + 2_000,
  updatedAt: T0 + 1_312_000,
  sequence: 4,
  leaderEpoch: 3,
};

export const sampleTrainingCompleted: TrainingCompleted = {
  runId: RUN_ID,
  requestId: REQUEST_ID,
  modelId: MODEL,
  status: 'SUCCEEDED',
  failure: null,
  artifactUri: `file:///var/lib/roundhouse/artifacts/${MODEL}/${RUN_ID}/`,
  artifactSha256: '9b1f0c3e5a7d2f4b6c8e0a1d3f5b7c9e1a3d5f7b9c1e3a5d7f9b1c3e5a7d9f1b',
  modelFormat: 'roundhouse-logreg/1',
  metrics: CANDIDATE_METRICS,
  holdoutRows: 156_208,
  holdoutPositives: 1_871,
  holdoutStartTime: T0 - 36 * DAY,
  holdoutUri: `file:///var/lib/roundhouse/artifacts/${MODEL}/${RUN_ID}/holdout.jsonl`,
  dataWindow: WINDOW,
  rows: 780_912,
  positives: 9_293,
  profile: PROFILE,
  trainerVersion: 'roundhouse-trainer 0.1.0',
  startedAt: T0 + 95_000,
  completedAt: T0 + 1_290_000,
};

export const sampleModelEvaluated: ModelEvaluated = {
  evaluationId: EVALUATION_ID,
  modelId: MODEL,
  runId: RUN_ID,
  requestId: REQUEST_ID,
  decision: 'PROMOTE',
  mode: 'RESCORED',
  gates: [
    { gate: 'min-pr-auc', metric: 'prAuc', comparator: 'GTE', threshold: 0.5, observed: 0.612, passed: true, detail: null },
    {
      gate: 'max-drop-recall',
      metric: 'recallAt1PctFpr',
      comparator: 'LTE',
      threshold: 0.02,
      observed: -0.031,
      passed: true,
      detail: 'champion 0.552, candidate 0.583, drop -0.031',
    },
    { gate: 'min-positives', metric: 'positives', comparator: 'GTE', threshold: 500, observed: 1_871, passed: true, detail: null },
  ],
  candidateMetrics: CANDIDATE_METRICS,
  championMetrics: CHAMPION_METRICS,
  championVersion: 7,
  override: { action: 'FORCE_PROMOTE', actor: 'oncall@roundhouse.dev', reason: 'INC-2291: new MCC mix after acquirer migration' },
  evaluatedAt: T0 + 1_400_000,
  leaderEpoch: 3,
};

const LINEAGE: Lineage = {
  requestId: REQUEST_ID,
  runId: RUN_ID,
  evaluationId: EVALUATION_ID,
  reason: 'DRIFT',
  driftEvidence: DRIFT,
  dataWindow: WINDOW,
  parentVersion: 7,
};

export const sampleModelReady: ModelReady = {
  modelId: MODEL,
  version: 8,
  artifactUri: sampleTrainingCompleted.artifactUri ?? '',
  artifactSha256: sampleTrainingCompleted.artifactSha256 ?? '',
  modelFormat: 'roundhouse-logreg/1',
  metrics: CANDIDATE_METRICS,
  profile: PROFILE,
  lineage: LINEAGE,
  promotedAt: T0 + 1_401_000,
  cause: 'ROLLBACK',
  restoredVersion: 6,
  leaderEpoch: 3,
};

/** One fully-populated sample per event. */
export const SAMPLE_EVENTS: { readonly [N in EventName]: EventTypes[N] } = {
  RetrainRequested: sampleRetrainRequested,
  TrainingRun: sampleTrainingRun,
  TrainingCompleted: sampleTrainingCompleted,
  ModelEvaluated: sampleModelEvaluated,
  ModelReady: sampleModelReady,
};

/** One sample per event with every nullable field null (and empty arrays/maps where allowed). */
export const MINIMAL_SAMPLE_EVENTS: { readonly [N in EventName]: EventTypes[N] } = {
  RetrainRequested: {
    ...sampleRetrainRequested,
    segment: null,
    reason: 'MANUAL',
    window: { startTime: T0 - 30 * DAY, endTime: T0, partitions: [] },
    drift: null,
    volume: null,
    age: null,
    performance: null,
    championVersion: null,
    hyperparameters: null,
    requestedBy: null,
    emittedAt: null,
  },
  TrainingRun: {
    ...sampleTrainingRun,
    state: 'QUEUED',
    previousState: null,
    executor: 'local',
    jobName: null,
    attempt: 1,
    message: null,
    failure: null,
    hyperparameters: '{}',
    updatedAt: sampleTrainingRun.createdAt,
    sequence: 0,
    leaderEpoch: null,
  },
  TrainingCompleted: {
    ...sampleTrainingCompleted,
    status: 'FAILED',
    failure: { code: 'NO_DATA', message: 'holdout has 0 positives', retriable: false },
    artifactUri: null,
    artifactSha256: null,
    modelFormat: null,
    metrics: null,
    holdoutRows: 0,
    holdoutPositives: 0,
    holdoutStartTime: null,
    holdoutUri: null,
    rows: 0,
    positives: 0,
    profile: null,
  },
  ModelEvaluated: {
    ...sampleModelEvaluated,
    decision: 'REJECT',
    mode: 'REPORTED',
    gates: [],
    championMetrics: null,
    championVersion: null,
    override: null,
    leaderEpoch: null,
  },
  ModelReady: {
    ...sampleModelReady,
    version: 1,
    metrics: { ...CANDIDATE_METRICS, extra: {} },
    profile: { features: [], score: null, labelRate: null, labelledRows: null },
    lineage: { ...LINEAGE, reason: 'MANUAL', driftEvidence: null, dataWindow: null, parentVersion: null },
    cause: 'PROMOTION',
    restoredVersion: null,
    leaderEpoch: null,
  },
};
