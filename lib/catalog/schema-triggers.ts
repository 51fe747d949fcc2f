/** `triggers`: when a model is considered stale and a retrain is requested. */
import { z } from 'zod';
import { isDriftMethod, thresholdProblem } from './drift-methods';
import { driftMethodChoice } from './schema-data';
import { DEFAULT_MIN_EFFECT, DEFAULT_WINDOWS_PER_FALSE_ALARM } from '../stats/budget';
import { duration, fraction, positiveInt, read, section, type Report } from './schema-common';

/** A threshold given with `auto` has no meaning: auto may pick a different test per feature type. */
export function checkThreshold(method: unknown, threshold: unknown, report: Report, path: ReadonlyArray<string | number> = ['threshold']): void {
  const value = read.num(threshold);
  const name = read.str(method);
  if (value === undefined || name === undefined) return;
  if (name === 'auto') {
    report(path, 'a threshold needs a concrete method (auto picks a test per feature and reference size, each with its own default threshold)');
    return;
  }
  if (!isDriftMethod(name)) return; // the enum already reported it
  const problem = thresholdProblem(name, value);
  if (problem !== null) report(path, problem);
}

const TimeWindowSchema = section(
  'Tumbling event-time window.',
  {
    type: z.literal('time'),
    size: duration({ min: 1 }).describe('Window length in event time.'),
    allowedLateness: duration().describe('How long after the window closes (by watermark) late events are still counted.').prefault('0s'),
    hop: duration({ min: 1 })
      .describe('Sliding windows: judge the last `size` of event time every `hop` (a divisor of size) instead of once per window; the delay to detect a change shrinks to a fraction of a window, and the false-alarm budget is split over the extra judgements. Omitted: tumbling windows.')
      .optional(),
  },
  (value, report) => {
    const size = read.num(value.size);
    const lateness = read.num(value.allowedLateness);
    const hop = read.num(value.hop);
    if (size !== undefined && lateness !== undefined && lateness >= size) report(['allowedLateness'], 'allowedLateness must be shorter than the window size');
    if (size !== undefined && hop !== undefined && (hop > size || size % hop !== 0)) report(['hop'], `hop must divide the window size (${size} ms), got ${hop} ms`);
    if (size !== undefined && hop !== undefined && size / hop > MAX_HOPS_PER_WINDOW) report(['hop'], `hop may be at most ${MAX_HOPS_PER_WINDOW} per window (each hop's summaries are held until the window passes), got ${size / hop}`);
  },
);

/** A sliding window keeps one summary per hop: at most this many per window. */
export const MAX_HOPS_PER_WINDOW = 20;

const CountWindowSchema = section(
  'Window of about `size` events of the whole topic: event-time slices of `resolution` are gathered until they hold at least `size` events, so a window is one event-time interval on every partition.',
  {
    type: z.literal('count'),
    size: positiveInt('Events per window (at least; the window ends at the first slice boundary that reaches it).'),
    resolution: duration({ min: 1 }).describe('Event-time slice length: the granularity of window boundaries. Pick about a tenth of the time `size` events take.').prefault('5s'),
    allowedLateness: duration().describe('How long after a slice ends (by watermark) late events are still counted; defaults to one resolution.').optional(),
    hop: positiveInt(
      'Sliding windows: judge the last `size` events every `hop` new events (at least; at slice boundaries) instead of once per `size`; the delay to detect a change shrinks to a fraction of a window, and the false-alarm budget is split over the extra judgements. Omitted: tumbling windows.',
    ).optional(),
  },
  (value, report) => {
    const resolution = read.num(value.resolution);
    const lateness = read.num(value.allowedLateness);
    const size = read.num(value.size);
    const hop = read.num(value.hop);
    if (resolution !== undefined && lateness !== undefined && lateness > 100 * resolution) report(['allowedLateness'], 'allowedLateness may be at most 100 resolutions (every slice within it is held open)');
    if (size !== undefined && hop !== undefined && hop > size) report(['hop'], `hop must not exceed the window size (${size}), got ${hop}`);
    if (size !== undefined && hop !== undefined && size / hop > MAX_HOPS_PER_WINDOW) report(['hop'], `hop must be at least size / ${MAX_HOPS_PER_WINDOW} (${Math.ceil(size / MAX_HOPS_PER_WINDOW)}): each hop's summaries are held until the window passes`);
  },
);

export const WindowSchema = z
  .discriminatedUnion('type', [TimeWindowSchema, CountWindowSchema], { error: 'window type must be "time" or "count"' })
  .describe('The window over which current feature distributions are compared with the reference.');

export const DriftSchema = section(
  'Feature drift: compare each window of feature values with the reference profile of the current model.',
  {
    enabled: z.boolean().describe('Whether feature drift can trigger a retrain.').prefault(true),
    window: WindowSchema.prefault({ type: 'time', size: '1h', allowedLateness: '5m' }),
    method: driftMethodChoice
      .describe('Default drift test for every feature; auto lets the statistics core choose per feature type and reference size (Evidently\'s rule).')
      .prefault('auto'),
    threshold: z.number().describe('Default threshold for `method`; omitted = that method\'s default. Not allowed with auto.').optional(),
    minSamples: positiveInt('A window with fewer events is not judged.').prefault(1000),
    driftShare: z.number().gt(0).max(1).describe('For the features not under the false-alarm budget (an explicit method, or windowsPerFalseAlarm null): the dataset drifted when at least this share of them drifted (or any critical feature did).').prefault(0.3),
    consecutiveWindows: positiveInt('Drift must hold for this many consecutive judged windows before a retrain is requested (hysteresis).').prefault(2),
    bootstrapEvents: positiveInt('With no model yet, the reference is built from the first N events.').prefault(10000),
    falseDiscoveryRate: fraction('Benjamini–Hochberg rate across the p-value tests (ks, chisquare, z) of features not under the false-alarm budget; null = compare each p-value with its threshold.')
      .nullable()
      .prefault(0.05),
    windowsPerFalseAlarm: positiveInt(
      'The false-alarm budget: judged windows a stationary stream passes on average between false alarms of the dataset rule (its per-window false-alarm probability is 1/this). Split over the features by the champion\'s importance; each feature whose method is auto is tested at its share with a calibrated p-value test (KS, chi-square, z) and its drift alone fires. null = no budget: Evidently\'s automatic tests with their fixed thresholds and the driftShare rule.',
    )
      .nullable()
      .prefault(DEFAULT_WINDOWS_PER_FALSE_ALARM),
    minEffect: fraction('Under the budget, a feature drifts only when at least this share of its distribution moved (KS D, or total variation for categorical features), so huge windows do not fire on negligible changes.').prefault(DEFAULT_MIN_EFFECT),
  },
  (value, report) => {
    checkThreshold(value.method, value.threshold, report);
    const window = read.obj(value.window);
    const minSamples = read.num(value.minSamples);
    const windowSize = read.num(window?.size);
    if (window?.type === 'count' && windowSize !== undefined && minSamples !== undefined && minSamples > windowSize) {
      report(['minSamples'], `minSamples (${minSamples}) exceeds the count window size (${windowSize}), so no window would ever be judged`);
    }
    const bootstrap = read.num(value.bootstrapEvents);
    if (bootstrap !== undefined && minSamples !== undefined && bootstrap < minSamples) {
      report(['bootstrapEvents'], `bootstrapEvents (${bootstrap}) must be at least minSamples (${minSamples})`);
    }
  },
);

export const ScoreDriftSchema = section(
  "Drift of the serving model's own score (data.scoreField); inactive when the model has no scoreField.",
  {
    enabled: z.boolean().describe('Whether score drift can trigger a retrain.').prefault(true),
    method: z.enum(['auto', 'psi', 'ks', 'jensenshannon', 'wasserstein']).describe('Drift test for the score, a numeric field (auto: the statistics core chooses).').prefault('auto'),
    threshold: z.number().describe("Threshold for `method`; omitted = the method's default. Not allowed with auto.").optional(),
  },
  (value, report) => checkThreshold(value.method, value.threshold, report),
);

export const FraudRateSchema = section('Change of the matured-label positive rate versus the rate the current model was trained on.', {
  enabled: z.boolean().describe('Whether a fraud-rate change can trigger a retrain.').prefault(true),
  maxRelativeChange: z.number().gt(0).describe('Fires when |rate − trainedRate| / trainedRate exceeds this.').prefault(0.5),
  minLabels: positiveInt('Matured labels needed before the rate is judged.').prefault(1000),
});

export const VolumeSchema = section('Retrain once enough new matured labels arrived since the last training data window.', {
  enabled: z.boolean().describe('Whether label volume can trigger a retrain.').prefault(true),
  minNewLabels: positiveInt('New matured labels that trigger a retrain.').prefault(50000),
});

/** The metrics the performance rule can watch (lib/catalog/metrics.ts names; computed by lib/model computeMetrics). */
export const PERFORMANCE_METRICS = ['prAuc', 'recallAt1PctFpr', 'logLoss'] as const;

export const PerformanceSchema = section(
  "The champion's realised performance: its serving score (data.scoreField) joined with matured labels over a label window, against its own holdout figure; inactive when the model has no scoreField.",
  {
    enabled: z.boolean().describe('Whether a drop in realised performance can trigger a retrain (needs data.scoreField, and a serving system that scores with the champion the trigger follows).').prefault(false),
    metric: z.enum(PERFORMANCE_METRICS).describe('The metric watched: prAuc (average precision), recallAt1PctFpr, or logLoss (lower is better).').prefault('prAuc'),
    maxDrop: z.number().min(0, { error: 'must be ≥ 0' }).describe("Fires when the realised metric is worse than the champion's holdout figure by more than this (absolute: holdout − realised for prAuc and recallAt1PctFpr, realised − holdout for logLoss).").prefault(0.05),
    minRows: positiveInt('Matured sampled rows in the label window needed before the metric is judged.').prefault(1000),
    minPositives: positiveInt('Positive (fraud) rows among them needed before the metric is judged.').prefault(20),
    window: duration({ min: 1 }).describe('Label window: the events whose scores are judged have event times in (window end − labelMaturity − window, window end − labelMaturity].').prefault('1d'),
    sampleRate: z.number().gt(0, { error: 'must be > 0' }).max(1, { error: 'must be ≤ 1' }).describe("Share of events whose score is kept for the join: those whose event id hashes below it (deterministic, the same on every partition and replay).").prefault(0.1),
    maxSampled: positiveInt('Most sampled scores a judge shard keeps (per model group and shard); past it the sample is thinned by halving the hash threshold, and the thinning is counted.').max(1_000_000, { error: 'must be at most 1000000' }).prefault(20000),
  },
  (value, report) => {
    const rows = read.num(value.minRows);
    const positives = read.num(value.minPositives);
    if (rows !== undefined && positives !== undefined && positives > rows) report(['minPositives'], `minPositives (${positives}) must not exceed minRows (${rows})`);
    const metric = read.str(value.metric);
    const drop = read.num(value.maxDrop);
    if (drop !== undefined && metric !== undefined && metric !== 'logLoss' && drop > 1) report(['maxDrop'], `maxDrop must be at most 1 for ${metric} (a metric in [0, 1]), got ${drop}`);
    const sampled = read.num(value.maxSampled);
    if (sampled !== undefined && rows !== undefined && rows > sampled) report(['minRows'], `minRows (${rows}) exceeds maxSampled (${sampled}), so the metric would never be judged`);
  },
);

export const RefireSchema = section(
  'Re-firing after a run that ended without a promotion (FAILED, CANCELLED, or the candidate REJECTED): the next request for the model waits backoff × 2^(n−1) (n: such runs in a row for the current champion), at most maxBackoff, in event time from the window in which the trigger learnt the outcome.',
  {
    backoff: duration({ min: 1 }).describe('Wait after the first run that ended without a promotion; doubles with each further one.').prefault('1h'),
    maxBackoff: duration({ min: 1 }).describe('Cap of the doubling wait.').prefault('1d'),
  },
  (value, report) => {
    const backoff = read.num(value.backoff);
    const max = read.num(value.maxBackoff);
    if (backoff !== undefined && max !== undefined && max < backoff) report(['maxBackoff'], 'maxBackoff must be at least backoff');
  },
);

export const TriggersSchema = section('When the model is stale and a retrain is requested.', {
  drift: DriftSchema.prefault({}),
  score: ScoreDriftSchema.prefault({}),
  fraudRate: FraudRateSchema.prefault({}),
  volume: VolumeSchema.prefault({}),
  performance: PerformanceSchema.prefault({}),
  maxAge: duration({ min: 1 }).describe('Retrain when the champion is older than this; null = never.').nullable().prefault('7d'),
  cooldown: duration().describe('Minimum time between two retrain requests for this model, whatever the rule.').prefault('6h'),
  refire: RefireSchema.prefault({}),
});
