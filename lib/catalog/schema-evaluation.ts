/** `evaluation`: how a candidate is judged against the champion before promotion. */
import { z } from 'zod';
import { GATE_LIMIT_NAMES, GATE_LIMITS, METRIC_NAMES, METRICS, isMetricName, limitsFor, type GateLimit } from './metrics';
import { fraction, positiveInt, read, section, withArrayCheck, type Report } from './schema-common';

const limitField = (text: string): z.ZodOptional<z.ZodNumber> => z.number().describe(text).optional();

function checkGate(value: Readonly<Record<string, unknown>>, report: Report, unknownKeys: readonly string[]): void {
  const metric = read.str(value.metric);
  if (metric === undefined || !isMetricName(metric)) return; // the enum already said so
  const info = METRICS[metric];
  const allowed = limitsFor(info.direction);
  const given = GATE_LIMIT_NAMES.filter((limit) => value[limit] !== undefined);
  const [limit, ...extra] = given;
  if (limit === undefined) {
    if (unknownKeys.length > 0) return; // most likely a misspelt limit, already reported as an unknown key
    report([], `a gate on ${metric} needs one limit: ${allowed.join(', ')}`);
    return;
  }
  for (const other of extra) report([other], `one limit per gate: put ${other} in a gate of its own`);
  if (GATE_LIMITS[limit].direction !== info.direction) {
    report([limit], `${metric} is ${info.direction === 'higher' ? 'higher' : 'lower'}-is-better: use ${allowed.join(', ')}`);
    return;
  }
  const bound = read.num(value[limit]);
  if (bound === undefined) return;
  const problem = limitRangeProblem(limit, bound, info.max);
  if (problem !== null) report([limit], problem);
}

function limitRangeProblem(limit: GateLimit, value: number, metricMax: number | null): string | null {
  if (value < 0) return `${limit} must be ≥ 0, got ${value}`;
  const absolute = limit === 'min' || limit === 'max' || limit === 'maxDrop' || limit === 'maxIncrease';
  if (absolute && metricMax !== null && value > metricMax) return `${limit} must be ≤ ${metricMax} (the metric's range), got ${value}`;
  return null;
}

export const GateSchema = section(
  'One promotion gate: a metric and exactly one limit, written in the direction the metric improves.',
  {
    metric: z
      .enum(METRIC_NAMES, { error: (i) => `unknown metric ${JSON.stringify(i.input)}; known: ${METRIC_NAMES.join(', ')}` })
      .describe(`Metric computed on the holdout: ${METRIC_NAMES.join(', ')}.`),
    min: limitField('Higher-is-better metrics: candidate ≥ min.'),
    maxDrop: limitField('Higher-is-better metrics: champion − candidate ≤ maxDrop (absolute).'),
    maxRelativeDrop: limitField('Higher-is-better metrics: (champion − candidate) / champion ≤ maxRelativeDrop.'),
    max: limitField('Lower-is-better metrics: candidate ≤ max.'),
    maxIncrease: limitField('Lower-is-better metrics: candidate − champion ≤ maxIncrease (absolute).'),
    maxRelativeIncrease: limitField('Lower-is-better metrics: (candidate − champion) / champion ≤ maxRelativeIncrease.'),
  },
  checkGate,
);

function uniqueGates(items: readonly unknown[], report: Report): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const gate = read.obj(item);
    const metric = read.str(gate?.metric);
    const limit = GATE_LIMIT_NAMES.find((name) => gate?.[name] !== undefined);
    if (metric === undefined || limit === undefined) return;
    const key = `${metric} ${limit}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else report([index], `duplicate gate: ${metric} ${limit} is already set by gates[${first}]`);
  });
}

export const EvaluationSchema = section(
  'How a candidate is judged before it is promoted.',
  {
    gates: withArrayCheck(z.array(GateSchema), uniqueGates)
      .describe('All must pass for a promotion. Gates relative to the champion are skipped when there is none (see firstModel).')
      .prefault([{ metric: 'rocAuc', maxDrop: 0.01 }]),
    minHoldoutRows: positiveInt('Fewer holdout rows than this and the candidate is rejected (too little evidence).').prefault(1000),
    minHoldoutPositives: positiveInt('Fewer positive (fraud) rows in the holdout than this and the candidate is rejected.').prefault(50),
    maxCalibrationError: fraction("Reject a candidate whose expected calibration error on the holdout exceeds this; null = don't check.")
      .nullable()
      .prefault(null),
    firstModel: z
      .enum(['promote', 'reject', 'gates-only'])
      .describe('With no champion yet: promote (holdout minimums only), reject (a person promotes), gates-only (absolute gates; relative ones skipped).')
      .prefault('gates-only'),
  },
  (value, report) => {
    const rows = read.num(value.minHoldoutRows);
    const positives = read.num(value.minHoldoutPositives);
    if (rows !== undefined && positives !== undefined && positives > rows) {
      report(['minHoldoutPositives'], `minHoldoutPositives (${positives}) cannot exceed minHoldoutRows (${rows})`);
    }
  },
);
