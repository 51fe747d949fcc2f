import type { Counter, Gauge, Histogram } from 'prom-client';
import { RETRAIN_REASON_SYMBOLS } from '../../lib/events';
import type { ServiceMetrics } from '../../lib/metrics';
import { SUPPRESSIONS } from './core/decide';

/** The trigger's metrics (roundhouse_trigger_*). Labels use the catalog model id, never a segment or run. */
export interface TriggerMetrics {
  readonly events: Counter<'topic' | 'model'>;
  readonly decodeFailures: Counter<'topic' | 'code'>;
  readonly driftStatistic: Gauge<'model' | 'feature'>;
  readonly windowsClosed: Counter<'model'>;
  readonly requests: Counter<'model' | 'reason'>;
  readonly suppressed: Counter<'model' | 'reason'>;
  readonly lateEvents: Gauge<'model' | 'topic' | 'partition'>;
  readonly stateBytes: Gauge<'stage' | 'key'>;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly championVersion: Gauge<'model'>;
  readonly modelsDisabled: Gauge<'model' | 'topic' | 'kind'>;
  readonly judgeLateEvents: Gauge<'topic' | 'partition'>;
  readonly idlePartitions: Gauge<'topic'>;
  readonly overflowFolds: Gauge<'model' | 'shard'>;
  readonly outcomes: Counter<'model' | 'outcome'>;
  readonly dataToModelLag: Histogram<'model'>;
  readonly performanceMetric: Gauge<'model' | 'metric'>;
  readonly performanceSample: Gauge<'model' | 'shard' | 'measure'>;
  readonly duplicateLabelPartials: Counter<'model' | 'topic'>;
  readonly overlappingLabelPartials: Counter<'model' | 'topic'>;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function createTriggerMetrics(m: ServiceMetrics): TriggerMetrics {
  return {
    events: m.counter('events_consumed_total', 'Feature and label events consumed, per model they feed.', ['topic', 'model']),
    decodeFailures: m.counter('decode_failures_total', 'Events dead-lettered because they could not be decoded or read.', ['topic', 'code']),
    driftStatistic: m.gauge('drift_statistic', 'Latest drift statistic per feature (test per the catalog; PSI, KS, JS, Wasserstein, chi-square or z).', ['model', 'feature']),
    windowsClosed: m.counter('windows_closed_total', 'Windows judged.', ['model']),
    requests: m.counter('retrain_requests_total', 'RetrainRequested events emitted.', ['model', 'reason']),
    suppressed: m.counter(
      'suppressed_total',
      'Rule firings held back, per window judged: not-eligible (family member without enough matured labels), in-flight (a run queued or running, or the last request without an outcome), backoff (the last run ended without a promotion, triggers.refire), cooldown.',
      ['model', 'reason'],
    ),
    outcomes: m.counter('request_outcomes_total', "Outcomes of the trigger's own requests that allow a rule to fire again (FAILED, REJECTED, CANCELLED), as the judge learns them.", ['model', 'outcome']),
    dataToModelLag: m.histogram(
      'data_to_model_lag_seconds',
      "Event time from the end of a new champion's training data to the end of the first window judged with it (how far the stream had moved on when the model took over).",
      ['model'],
      [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 30 * DAY],
    ),
    lateEvents: m.gauge('late_events', 'Feature events behind a closed window (not used; dead-lettered when behind every window), per input partition, as its checkpoint counts them.', ['model', 'topic', 'partition']),
    stateBytes: m.gauge('state_bytes', 'Size of the latest checkpoint per stage and key.', ['stage', 'key']),
    lag: m.gauge('consumer_lag_messages', 'Messages behind the end of each input partition after the last commit.', ['topic', 'partition']),
    modelsDisabled: m.gauge('models_disabled', 'Models left out for a topic because a writer schema there does not fit their catalog entry (1 = disabled; see the error log).', ['model', 'topic', 'kind']),
    judgeLateEvents: m.gauge('judge_late_events', 'Feature events that reached the judge after their slice was judged (a partition back from idleness or from far behind), per input partition.', ['topic', 'partition']),
    idlePartitions: m.gauge('idle_partitions', 'Feature-topic partitions currently ruled idle (caught up and behind the newest watermark by data.idlePartitionTimeout): they do not hold windows back.', ['topic']),
    overflowFolds: m.gauge('family_overflow_segments', "Segment-windows a family shard folded into its overflow member because it already had ceil(maxSegments / shards) segments (family.maxSegments).", ['model', 'shard']),
    performanceMetric: m.gauge(
      'performance_realised',
      "The champion's realised metric (triggers.performance.metric) on the sampled matured events of the latest window it was judged on (enough rows and positives).",
      ['model', 'metric'],
    ),
    performanceSample: m.gauge(
      'performance_sample',
      'PERFORMANCE sample of a judge shard: measure=scores (held), threshold (hash bound of the sample), thinned (scores dropped when maxSampled was reached, since the state was created), labels_evicted (positive labels dropped past maxSampled).',
      ['model', 'shard', 'measure'],
    ),
    duplicateLabelPartials: m.counter(
      'duplicate_label_partials_total',
      "Label partials the judge skipped because their input range (label topic partition offsets) was already applied: a zombie's completed commit, a replay of the partials topic, or a judge restored from an older checkpoint. Per model of the partial's group and label topic.",
      ['model', 'topic'],
    ),
    overlappingLabelPartials: m.counter(
      'overlapping_label_partials_total',
      'Label partials whose input range began inside the range the judge had already applied for their label partition and ended past it (a replay whose commit boundaries differ from the first delivery): a partial cannot be split, so it was applied and its overlap counted twice. Per model of the partial\'s group and label topic.',
      ['model', 'topic'],
    ),
    championVersion: m.gauge('champion_version', 'Version of the champion whose reference profile the trigger judges against.', ['model']),
  };
}

/** Every reason the judge can give for holding a firing back (WindowVerdict.suppressed). */
export const SUPPRESSION_REASONS = SUPPRESSIONS;

/** Outcomes after which a rule may fire again (request_outcomes_total). */
export const UNPROMOTED_OUTCOMES = ['FAILED', 'REJECTED', 'CANCELLED'] as const;

/**
 * Counters whose label values are known up front start at 0, so Prometheus'
 * increase() sees their first event (a series born at 1 reads as no increase).
 */
export function initialiseTriggerCounters(metrics: TriggerMetrics, modelIds: readonly string[]): void {
  for (const model of modelIds) {
    metrics.windowsClosed.inc({ model }, 0);
    for (const reason of RETRAIN_REASON_SYMBOLS) if (reason !== 'MANUAL') metrics.requests.inc({ model, reason }, 0);
    for (const reason of SUPPRESSION_REASONS) metrics.suppressed.inc({ model, reason }, 0);
    for (const outcome of UNPROMOTED_OUTCOMES) metrics.outcomes.inc({ model, outcome }, 0);
  }
}
