import type { Counter, Gauge, Histogram } from 'prom-client';
import type { ServiceMetrics } from '../../lib/metrics';
import { DECISION_SYMBOLS, EVALUATION_MODE_SYMBOLS, PROMOTION_CAUSE_SYMBOLS } from '../../lib/events';

/** The evaluator's metrics (roundhouse_evaluator_*). `model` is the catalog id (a family's id for its members), never a run. */
export interface EvaluatorMetrics {
  readonly decisions: Counter<'model' | 'decision' | 'mode'>;
  readonly gateFailures: Counter<'model' | 'gate'>;
  readonly promotions: Counter<'model' | 'cause'>;
  readonly overrides: Counter<'model' | 'action'>;
  readonly requestToPromotion: Histogram<'model'>;
  readonly errors: Counter<'model' | 'stage' | 'code'>;
  readonly skipped: Counter<'model' | 'reason'>;
  readonly championVersion: Gauge<'model'>;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function createEvaluatorMetrics(m: ServiceMetrics): EvaluatorMetrics {
  return {
    decisions: m.counter('decisions_total', 'Evaluations published, by decision (overrides included) and mode (RESCORED or REPORTED).', ['model', 'decision', 'mode']),
    gateFailures: m.counter('gate_failures_total', 'Gates failed by evaluated candidates, by gate name.', ['model', 'gate']),
    promotions: m.counter('promotions_total', 'ModelReady events published, by cause (PROMOTION, FORCED, ROLLBACK).', ['model', 'cause']),
    overrides: m.counter('overrides_total', 'Operator commands executed (FORCE_PROMOTE, FORCE_REJECT, ROLLBACK).', ['model', 'action']),
    requestToPromotion: m.histogram(
      'request_to_promotion_seconds',
      'Wall-clock time from the request (RetrainRequested.emittedAt; requestedAt for manual requests before it) to the promotion (PROMOTION or FORCED), when the request is known.',
      ['model'],
      [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY],
    ),
    errors: m.counter('evaluation_errors_total', 'Problems met while evaluating (artifact, holdout, champion or rescoring), by stage and error code.', ['model', 'stage', 'code']),
    skipped: m.counter('results_skipped_total', 'Training results not evaluated: FAILED runs, and redeliveries of results already judged.', ['model', 'reason']),
    championVersion: m.gauge('champion_version', 'Version of the current champion per model, as the evaluator knows it.', ['model']),
  };
}

/** Counters with known label values start at 0 so increase() counts their first event. */
export function initialiseEvaluatorCounters(metrics: EvaluatorMetrics, modelIds: readonly string[]): void {
  for (const model of modelIds) {
    for (const decision of DECISION_SYMBOLS) for (const mode of EVALUATION_MODE_SYMBOLS) metrics.decisions.inc({ model, decision, mode }, 0);
    for (const cause of PROMOTION_CAUSE_SYMBOLS) metrics.promotions.inc({ model, cause }, 0);
  }
}
