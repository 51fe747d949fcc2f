import type { ModelSpec } from '../../../lib/catalog';
import type { ModelMetrics, RetrainRequested } from '../../../lib/events';
import { SAMPLE_EVENTS } from '../../../lib/events/samples';
import { computeMetrics } from '../../../lib/model';
import { testCatalog, testModelYaml } from '../testing/catalog';
import { avroType, syntheticFeatureSchema, syntheticLabelSchema } from '../testing/schema';
import { mulberry32, referenceProfile, syntheticStream } from '../testing/stream';
import type { RunOutcome } from './attempts';
import { compileFeaturePlan, compileLabelPlan } from './extract';
import { planGroups } from './groups';
import { requestIdFor } from './ids';
import { IngestPartition, groupFeaturePlan, groupLabelPlan, type GroupFeaturePlan, type GroupLabelPlan, type IngestState } from './ingest';
import { GroupJudge, type Champion, type JudgeContext, type JudgeState } from './judge';
import { decodePartial, encodePartial } from './partials';

/**
 * The PERFORMANCE rule through both stages (ingest of a feature and a label
 * topic, partials on their wire encoding, the judge): features stay put, the
 * serving score stops separating fraud from the rest at minute 12.
 */
jest.setTimeout(300_000);
const FEATURES = 5;
const START = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const SPACING = 20; // 3,000 events a minute
const EVENTS = 22 * MINUTE / SPACING;
const DEGRADE_AT = 12 * MINUTE / SPACING;
const PARTITIONS = 3;
const LABEL_PARTITIONS = 2;

interface Event extends Record<string, string | number> {
  event_id: string;
  event_time: number;
  merchant_id: string;
  model_score: number;
}

function stream(): { events: Event[]; labels: { event_id: string; label_time: number; is_fraud: boolean }[] } {
  const random = mulberry32(5);
  const events: Event[] = [];
  const labels: { event_id: string; label_time: number; is_fraud: boolean }[] = [];
  for (const e of syntheticStream({ seed: 21, features: FEATURES, start: START, spacingMs: SPACING }, EVENTS)) {
    const fraud = random() < 0.02;
    const i = events.length;
    // A useful score, then (from DEGRADE_AT) one that knows nothing of the label; its distribution barely moves.
    const score = i < DEGRADE_AT ? (fraud ? 0.3 + 0.6 * random() : 0.5 * random()) : 0.55 * random();
    events.push({ ...e, model_score: score } as Event);
    // Chargebacks 10 s after the event; a few genuine confirmations.
    if (fraud) labels.push({ event_id: e.event_id, label_time: e.event_time + 10_000, is_fraud: true });
    else if (random() < 0.01) labels.push({ event_id: e.event_id, label_time: e.event_time + 5_000, is_fraud: false });
  }
  labels.sort((a, b) => a.label_time - b.label_time);
  return { events, labels };
}

const DATA = stream();
const GOOD = DATA.events.slice(0, DEGRADE_AT);
const fraudIds = new Set(DATA.labels.filter((l) => l.is_fraud).map((l) => l.event_id));
/** The champion's holdout prAuc: what the score achieved on the good part. */
const BASELINE = computeMetrics(GOOD.map((e) => (fraudIds.has(e.event_id) ? 1 : 0)), GOOD.map((e) => e.model_score)).prAuc!;

function model(extra = ''): ModelSpec {
  const yaml = testModelYaml({
    cooldown: '1m',
    extraTriggers: `      performance: { enabled: true, metric: prAuc, maxDrop: 0.15, minRows: 1000, minPositives: 20, window: 5m, sampleRate: 0.5, maxSampled: ${extra || 50000} }\n      refire: { backoff: 2m, maxBackoff: 4m }`,
  })
    .replace('labelMaturity: 1h', 'labelMaturity: 1m\n      scoreField: model_score')
    ;
  return testCatalog(yaml).models[0]!;
}

const METRICS: ModelMetrics = { ...SAMPLE_EVENTS.ModelReady.metrics, prAuc: BASELINE };
const champion: Champion = { version: 1, promotedAt: START, profile: referenceProfile(FEATURES, 20_000), dataWindowEnd: START, metrics: METRICS };

interface RunOptions {
  /** 'ahead': every label read before the features (a label stream read far ahead); 'along': labels as the feature stream reaches their label time. */
  readonly labels: 'ahead' | 'along';
  readonly restartAt?: number;
  readonly outcome?: (requestId: string) => RunOutcome;
  readonly model?: ModelSpec;
}

function run(options: RunOptions): { requests: RetrainRequested[]; judge: GroupJudge } {
  const m = options.model ?? model();
  const groups = planGroups([m]);
  const group = groups[0]!;
  const featureType = avroType({ ...syntheticFeatureSchema(FEATURES), fields: [...syntheticFeatureSchema(FEATURES).fields, { name: 'model_score', type: 'double' }] });
  const featurePlans = new Map<string, GroupFeaturePlan>([[group.id, groupFeaturePlan(group, new Map([[m.id, compileFeaturePlan(m, featureType)]]))!]]);
  const labelPlans = new Map<string, GroupLabelPlan>([[group.id, groupLabelPlan(group, new Map([[m.id, compileLabelPlan(m, avroType(syntheticLabelSchema))]]))!]]);
  const newFeatureIngest = (p: number, state?: IngestState) => new IngestPartition({ topic: 'features', partition: p, partitions: PARTITIONS, groups }, state);
  const newLabelIngest = (p: number, state?: IngestState) => new IngestPartition({ topic: 'labels', partition: p, partitions: LABEL_PARTITIONS, groups }, state);
  let features = Array.from({ length: PARTITIONS }, (_, p) => newFeatureIngest(p));
  let labels = Array.from({ length: LABEL_PARTITIONS }, (_, p) => newLabelIngest(p));
  let judge = new GroupJudge(group, 0);
  const context: JudgeContext = { champion: () => champion, inFlight: () => false, outcome: options.outcome ?? (() => 'PENDING') };
  const requests: RetrainRequested[] = [];
  const deliver = (drained: ReturnType<IngestPartition['drain']>): void => {
    for (const { partial } of drained) {
      const decoded = decodePartial(encodePartial(partial));
      if (decoded.kind === 'labels') judge.addLabels(decoded);
      else requests.push(...judge.addFeatures(decoded, context).requests);
    }
  };
  let nextLabel = 0;
  const feedLabels = (upTo: number): void => {
    while (nextLabel < DATA.labels.length && DATA.labels[nextLabel]!.label_time <= upTo) {
      const label = DATA.labels[nextLabel]!;
      labels[nextLabel % LABEL_PARTITIONS]!.addLabel(label, null, labelPlans);
      nextLabel++;
    }
    for (const ingest of labels) deliver(ingest.drain(false));
  };
  if (options.labels === 'ahead') feedLabels(Infinity);
  const offsets = new Array<number>(PARTITIONS).fill(0);
  DATA.events.forEach((event, n) => {
    const p = Number(event.merchant_id.slice(1)) % PARTITIONS;
    features[p]!.addFeature(event, Buffer.from(event.merchant_id), String(offsets[p]!++), featurePlans, event.event_time);
    if (n % 500 === 499) {
      if (options.labels === 'along') feedLabels(event.event_time);
      for (const ingest of features) deliver(ingest.drain(false));
    }
    if (options.restartAt === n) {
      const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
      features = features.map((f, p) => newFeatureIngest(p, clone(f.toJSON())));
      labels = labels.map((l, p) => newLabelIngest(p, clone(l.toJSON())));
      const parts = judge.checkpoint();
      judge = new GroupJudge(group, 0, clone({ ...parts.core, ...parts.members! }) as JudgeState);
    }
  });
  for (const ingest of labels) deliver(ingest.drain(true));
  for (const ingest of features) deliver(ingest.drain(true));
  return { requests, judge };
}

const performanceRequests = (rs: RetrainRequested[]) => rs.filter((r) => r.reason === 'PERFORMANCE');

describe('PERFORMANCE through ingest and judge', () => {
  const ahead = run({ labels: 'ahead' });

  it('the score degrades while the features stay put → exactly one PERFORMANCE request, naming the metric, after the degradation matured', () => {
    expect(BASELINE).toBeGreaterThan(0.5);
    expect(ahead.requests.map((r) => r.reason)).toEqual(['PERFORMANCE']);
    const [request] = ahead.requests;
    expect(request!.requestId).toBe(requestIdFor(model().id, 'PERFORMANCE', 'p1'));
    const p = request!.performance!;
    expect(p).toMatchObject({ metric: 'prAuc', baseline: BASELINE, maxDrop: 0.15, sampleRate: 0.5 });
    expect(p.observed).toBeLessThan(BASELINE - 0.15);
    expect(p.positives!).toBeGreaterThanOrEqual(20);
    expect(p.labelledRows).toBeGreaterThanOrEqual(1000);
    // The label window ends a maturity (1 min) before the judged window; it must reach into the degraded part.
    expect(p.windowEnd).toBe(request!.requestedAt - MINUTE);
    expect(p.windowStart).toBe(p.windowEnd! - 5 * MINUTE);
    expect(p.windowEnd!).toBeGreaterThan(START + 12 * MINUTE);
    expect(request!.drift).toBeNull();
  });

  it('the same decision with the labels read along the features, and across a checkpoint and restore (replay)', () => {
    const along = run({ labels: 'along' });
    expect(performanceRequests(along.requests).map((r) => r.requestId)).toEqual(ahead.requests.map((r) => r.requestId));
    const restarted = run({ labels: 'ahead', restartAt: Math.floor(EVENTS * 0.6) });
    expect(restarted.requests).toEqual(ahead.requests);
  });

  it('re-fires after a REJECTED run once the 2 min backoff has passed, as attempt 1, and only once more', () => {
    const firstId = requestIdFor(model().id, 'PERFORMANCE', 'p1');
    const { requests } = run({ labels: 'ahead', outcome: (id) => (id === firstId ? 'REJECTED' : 'PENDING') });
    expect(requests.map((r) => r.requestId)).toEqual([firstId, requestIdFor(model().id, 'PERFORMANCE', 'p1', 1)]);
    expect(requests[1]!.requestedAt - requests[0]!.requestedAt).toBeGreaterThanOrEqual(3 * MINUTE); // learnt a window later, then 2 min
  });

  it('a small maxSampled thins the sample (hash threshold halved) and still decides, deterministically', () => {
    const small = model('4000');
    const a = run({ labels: 'ahead', model: small });
    const b = run({ labels: 'along', model: small });
    const bounds = a.judge.performanceBounds()!;
    expect(bounds.threshold).toBeLessThan(0.5);
    expect(bounds.thinned).toBeGreaterThan(0);
    expect(bounds.sampled).toBeLessThanOrEqual(4000);
    expect(performanceRequests(a.requests)).toHaveLength(1);
    expect(performanceRequests(b.requests).map((r) => r.requestId)).toEqual(performanceRequests(a.requests).map((r) => r.requestId));
  });

  it('without a scoreField the rule is inactive and nothing is sampled', () => {
    const plain = testCatalog(testModelYaml({ extraTriggers: '      performance: { enabled: true }' })).models[0]!;
    expect(plain.triggers.performance.enabled).toBe(false);
    expect(planGroups([plain])[0]!.performance).toBeNull();
  });
});
