import type { EvaluationSpec, GateLimit, GateSpec, MetricName } from '../../../lib/catalog';
import { METRIC_DIRECTIONS } from '../../../lib/catalog';
import type { Decision, GateComparator, GateResult, ModelMetrics } from '../../../lib/events';

/**
 * The promotion decision as a pure function: the candidate's metrics, the
 * champion's (on the same holdout when both were rescored) and the model's
 * evaluation spec in; PROMOTE/REJECT and every gate's result out. Order of the
 * gates: preconditions (artifact integrity, decided by the caller), holdout
 * minimums, calibration, then the catalog's gates in catalog order, so
 * ModelEvaluated.gates reads the same way for every candidate of a model.
 */

export interface DecideOptions {
  /** Gates the caller already judged (e.g. artifact integrity); they count like any other. */
  readonly preconditions?: readonly GateResult[];
}

export interface PromotionDecision {
  readonly decision: Decision;
  readonly gates: readonly GateResult[];
  /** Names of the gates that failed, in gate order (empty on PROMOTE). */
  readonly failed: readonly string[];
}

const LIMIT_SLUG: Readonly<Record<GateLimit, string>> = {
  min: 'min',
  max: 'max',
  maxDrop: 'max-drop',
  maxRelativeDrop: 'max-relative-drop',
  maxIncrease: 'max-increase',
  maxRelativeIncrease: 'max-relative-increase',
};

const kebab = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** 'min-roc-auc', 'max-relative-drop-pr-auc', 'max-increase-log-loss': stable names dashboards can group by. */
export function gateName(gate: Pick<GateSpec, 'metric' | 'limit'>): string {
  return `${LIMIT_SLUG[gate.limit]}-${kebab(gate.metric)}`;
}

export const GATE_NAMES = {
  minHoldoutRows: 'min-holdout-rows',
  minHoldoutPositives: 'min-holdout-positives',
  maxCalibrationError: 'max-calibration-error',
  firstModelPolicy: 'first-model-policy',
} as const;

/** Short, readable numbers for gate details (the exact values are in the gate's fields). */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Number(x.toPrecision(4)).toString();
}

function holds(observed: number, comparator: GateComparator, threshold: number): boolean {
  switch (comparator) {
    case 'GTE':
      return observed >= threshold;
    case 'GT':
      return observed > threshold;
    case 'LTE':
      return observed <= threshold;
    case 'LT':
      return observed < threshold;
  }
}

function judged(gate: string, metric: string, comparator: GateComparator, threshold: number, observed: number, detail: string | null): GateResult {
  // A NaN or infinite metric can never pass: it means the metric could not be computed.
  if (!Number.isFinite(observed)) {
    return { gate, metric, comparator, threshold, observed: null, passed: false, detail: `${metric} is ${observed}: not a usable value` };
  }
  return { gate, metric, comparator, threshold, observed, passed: holds(observed, comparator, threshold), detail };
}

function skipped(gate: string, metric: string, comparator: GateComparator, threshold: number, why: string): GateResult {
  return { gate, metric, comparator, threshold, observed: null, passed: true, detail: `skipped: ${why}` };
}

/** One catalog gate against the candidate (and the champion, for limits relative to it). */
export function judgeGate(spec: GateSpec, candidate: ModelMetrics, champion: ModelMetrics | null): GateResult {
  const name = gateName(spec);
  const metric: MetricName = spec.metric;
  const c = candidate[metric];
  const higherIsBetter = METRIC_DIRECTIONS[metric] === 'higher';
  switch (spec.limit) {
    case 'min':
      return judged(name, metric, 'GTE', spec.value, c, null);
    case 'max':
      return judged(name, metric, 'LTE', spec.value, c, null);
    default:
      break;
  }
  if (champion === null) return skipped(name, metric, 'LTE', spec.value, 'no champion to compare with');
  const p = champion[metric];
  // Drop for higher-is-better metrics, increase for lower-is-better ones: positive = worse.
  const worsening = higherIsBetter ? p - c : c - p;
  const word = higherIsBetter ? 'drop' : 'increase';
  const relative = spec.limit === 'maxRelativeDrop' || spec.limit === 'maxRelativeIncrease';
  if (!relative) {
    return judged(name, metric, 'LTE', spec.value, worsening, `champion ${fmt(p)}, candidate ${fmt(c)}, ${word} ${fmt(worsening)}`);
  }
  if (p === 0) {
    // Relative change from zero is undefined; judge the direction alone (no worsening passes).
    return {
      gate: name,
      metric,
      comparator: 'LTE',
      threshold: spec.value,
      observed: null,
      passed: Number.isFinite(worsening) && worsening <= 0,
      detail: `champion ${fmt(p)}, candidate ${fmt(c)}: relative ${word} from 0 is undefined; passes only without a ${word}`,
    };
  }
  const ratio = worsening / Math.abs(p);
  return judged(name, metric, 'LTE', spec.value, ratio, `champion ${fmt(p)}, candidate ${fmt(c)}, relative ${word} ${fmt(ratio)}`);
}

function holdoutGates(candidate: ModelMetrics, evaluation: EvaluationSpec): GateResult[] {
  return [
    judged(GATE_NAMES.minHoldoutRows, 'rows', 'GTE', evaluation.minHoldoutRows, candidate.rows, null),
    judged(GATE_NAMES.minHoldoutPositives, 'positives', 'GTE', evaluation.minHoldoutPositives, candidate.positives, null),
  ];
}

function calibrationGate(candidate: ModelMetrics, evaluation: EvaluationSpec, skip: string | null): GateResult[] {
  if (evaluation.maxCalibrationError === null) return [];
  const args = [GATE_NAMES.maxCalibrationError, 'expectedCalibrationError', 'LTE', evaluation.maxCalibrationError] as const;
  return [skip === null ? judged(...args, candidate.expectedCalibrationError, null) : skipped(...args, skip)];
}

/**
 * PROMOTE when every gate passes. Without a champion the catalog's firstModel
 * policy applies: `promote` (holdout minimums only), `reject` (a person
 * force-promotes the first version; the other gates are still reported), or
 * `gates-only` (absolute gates apply, those relative to the champion are skipped).
 */
export function decidePromotion(
  candidate: ModelMetrics,
  champion: ModelMetrics | null,
  evaluation: EvaluationSpec,
  options: DecideOptions = {},
): PromotionDecision {
  const gates: GateResult[] = [...(options.preconditions ?? []), ...holdoutGates(candidate, evaluation)];
  const policy = champion === null ? evaluation.firstModel : null;
  if (policy === 'promote') {
    const why = 'first model of this id (firstModel: promote applies the holdout minimums only)';
    gates.push(...calibrationGate(candidate, evaluation, why));
    for (const spec of evaluation.gates) {
      gates.push(skipped(gateName(spec), spec.metric, spec.limit === 'min' ? 'GTE' : 'LTE', spec.value, why));
    }
  } else {
    gates.push(...calibrationGate(candidate, evaluation, null));
    for (const spec of evaluation.gates) gates.push(judgeGate(spec, candidate, champion));
    if (policy === 'reject') {
      gates.push({
        gate: GATE_NAMES.firstModelPolicy,
        metric: 'championVersion',
        comparator: 'GTE',
        threshold: 1,
        observed: null,
        passed: false,
        detail: 'no champion yet and firstModel is reject: a person promotes the first version (force-promote)',
      });
    }
  }
  const failed = gates.filter((g) => !g.passed).map((g) => g.gate);
  return { decision: failed.length === 0 ? 'PROMOTE' : 'REJECT', gates, failed };
}
