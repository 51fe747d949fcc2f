import type { ModelSpec } from '../../../lib/catalog';
import type { ReferenceProfile, RetrainRequested } from '../../../lib/events';
import { testModel } from '../testing/catalog';
import { avroType, syntheticFeatureSchema } from '../testing/schema';
import { referenceProfile, syntheticStream, type SyntheticEvent } from '../testing/stream';
import { compileFeaturePlan, type FeatureRecordPlan } from './extract';
import { IngestPartition } from './ingest';
import { ModelJudge, type Champion, type JudgeContext, type WindowVerdict } from './judge';
import { decodePartial, encodePartial, type Partial as TriggerPartial } from './partials';

const FEATURES = 20;
// Tens of thousands of events per case: seconds of CPU, more on a loaded machine.
jest.setTimeout(120_000);
const START = Date.UTC(2026, 0, 1);
const PROFILE: ReferenceProfile = referenceProfile(FEATURES, 20_000);

function champion(profile = PROFILE, extra: Partial<Champion> = {}): Champion {
  return { version: 1, promotedAt: START, profile, dataWindowEnd: START, ...extra };
}

interface RunOptions {
  readonly model: ModelSpec;
  readonly partitions: number;
  /** Drain partials after this many events per partition (simulates commit cadence). */
  readonly drainEvery: number;
  /** Checkpoint and restore every component after this many events (crash + restart). */
  readonly restartAt?: number;
  readonly context?: Partial<JudgeContext>;
  readonly champion?: Champion | undefined;
}

/** The two stages wired by hand, partials round-tripped through their wire encoding. */
function run(events: Iterable<SyntheticEvent>, options: RunOptions): { requests: RetrainRequested[]; verdicts: WindowVerdict[] } {
  const plan: FeatureRecordPlan = compileFeaturePlan(options.model, avroType(syntheticFeatureSchema(FEATURES)));
  const plans = new Map([[options.model.id, plan]]);
  let ingests = Array.from({ length: options.partitions }, (_, partition) => new IngestPartition({ topic: 'features', partition, partitions: options.partitions, models: [options.model] }));
  let judge = new ModelJudge(options.model);
  const context: JudgeContext = {
    champion: () => ('champion' in options ? options.champion : champion()),
    inFlight: () => false,
    ...options.context,
  };
  const requests: RetrainRequested[] = [];
  const verdicts: WindowVerdict[] = [];
  const offsets = new Array<number>(options.partitions).fill(0);
  const deliver = (partials: TriggerPartial[]): void => {
    for (const encoded of partials.map(encodePartial)) {
      const partial = decodePartial(encoded);
      if (partial.kind === 'labels') judge.addLabels(partial);
      else {
        const out = judge.addFeatures(partial, context);
        requests.push(...out.requests);
        verdicts.push(...out.verdicts);
      }
    }
  };
  let n = 0;
  for (const event of events) {
    const partition = Number(event.merchant_id.slice(1)) % options.partitions;
    ingests[partition]!.addFeature(event, Buffer.from(event.merchant_id), String(offsets[partition]!++), plans);
    if (offsets[partition]! % options.drainEvery === 0) deliver(ingests[partition]!.drain());
    n++;
    if (options.restartAt === n) {
      for (const ingest of ingests) deliver(ingest.drain());
      const saved = ingests.map((i) => JSON.parse(JSON.stringify(i.toJSON())));
      const savedJudge = JSON.parse(JSON.stringify(judge.toJSON()));
      ingests = saved.map((state, partition) => new IngestPartition({ topic: 'features', partition, partitions: options.partitions, models: [options.model] }, state));
      judge = new ModelJudge(options.model, savedJudge);
    }
  }
  for (const ingest of ingests) deliver(ingest.drain());
  return { requests, verdicts };
}

describe('trigger core: stage 1 (ingest) + stage 2 (judge)', () => {
  // 1 event per 10 ms of event time → 6000 events per 1-minute window.
  const stream = (count: number, change?: { at: number; features: number[] }) =>
    syntheticStream({ seed: 7, features: FEATURES, start: START, spacingMs: 10, ...(change ? { changeAt: change.at, changed: change.features, shift: 0.5 } : {}) }, count);

  it('requests nothing on a stationary stream', () => {
    const { requests, verdicts } = run(stream(120_000), { model: testModel(), partitions: 3, drainEvery: 500 });
    expect(requests).toEqual([]);
    expect(verdicts.length).toBeGreaterThanOrEqual(18);
    expect(verdicts.every((v) => v.drifted === false)).toBe(true);
  });

  it('requests exactly once, naming the three changed features, within two windows of the change', () => {
    const changeAt = 60_000; // window 10
    const { requests, verdicts } = run(stream(120_000, { at: changeAt, features: [3, 7, 11] }), { model: testModel(), partitions: 3, drainEvery: 500 });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.reason).toBe('DRIFT');
    expect(request!.modelId).toBe('synthetic');
    const drifted = request!.drift!.features.filter((f) => f.drifted).map((f) => f.feature);
    expect(drifted.sort()).toEqual(['f11', 'f3', 'f7']);
    const changeTime = START + changeAt * 10;
    expect(request!.drift!.windowStart).toBeGreaterThanOrEqual(changeTime);
    expect(request!.drift!.windowEnd - changeTime).toBeLessThanOrEqual(2 * 60_000);
    expect(request!.drift!.bootstrapReference).toBe(false);
    expect(request!.drift!.sourceOffsets.map((o) => o.partition)).toEqual([0, 1, 2]);
    expect(request!.requestedAt).toBe(request!.drift!.windowEnd);
    // Later drifted windows fall inside the cooldown.
    expect(verdicts.filter((v) => v.suppressed === 'cooldown').length).toBeGreaterThan(0);
  });

  it('decides the same whatever the partitioning, commit cadence, or a checkpoint/restore mid-stream', () => {
    const events = () => stream(90_000, { at: 45_000, features: [1, 2, 5] });
    const baseline = run(events(), { model: testModel(), partitions: 1, drainEvery: 1000 }).requests;
    expect(baseline).toHaveLength(1);
    const ids = (rs: RetrainRequested[]) => rs.map((r) => r.requestId);
    expect(ids(run(events(), { model: testModel(), partitions: 4, drainEvery: 137 }).requests)).toEqual(ids(baseline));
    expect(ids(run(events(), { model: testModel(), partitions: 4, drainEvery: 137, restartAt: 44_999 }).requests)).toEqual(ids(baseline));
    const restarted = run(events(), { model: testModel(), partitions: 2, drainEvery: 50, restartAt: 61_234 }).requests;
    expect(ids(restarted)).toEqual(ids(baseline));
    expect(restarted[0]!.drift!.features.filter((f) => f.drifted).map((f) => f.feature).sort()).toEqual(['f1', 'f2', 'f5']);
  });

  it('needs K consecutive drifted windows when hysteresis is set', () => {
    const model = testModel({ consecutiveWindows: 3 });
    const { requests } = run(stream(120_000, { at: 60_000, features: [3, 7, 11] }), { model, partitions: 2, drainEvery: 500 });
    expect(requests).toHaveLength(1);
    const changeTime = START + 60_000 * 10;
    // The third drifted window after the change fires.
    expect(requests[0]!.drift!.windowStart).toBeGreaterThanOrEqual(changeTime + 2 * 60_000);
  });

  it('holds requests while a run for the model is in flight', () => {
    const { requests, verdicts } = run(stream(120_000, { at: 60_000, features: [3, 7, 11] }), {
      model: testModel(),
      partitions: 2,
      drainEvery: 500,
      context: { inFlight: () => true },
    });
    expect(requests).toEqual([]);
    expect(verdicts.some((v) => v.suppressed === 'in-flight')).toBe(true);
  });

  it('bootstraps a reference from the first events when there is no champion, and says so', () => {
    const model = testModel({ bootstrapEvents: 12_000 });
    const { requests, verdicts } = run(stream(120_000, { at: 60_000, features: [3, 7, 11] }), { model, partitions: 2, drainEvery: 500, champion: undefined });
    expect(verdicts.filter((v) => v.drifted === null).length).toBe(2); // the two bootstrap windows
    expect(requests).toHaveLength(1);
    expect(requests[0]!.drift!.bootstrapReference).toBe(true);
    expect(requests[0]!.championVersion).toBeNull();
    expect(requests[0]!.drift!.features.filter((f) => f.drifted).map((f) => f.feature).sort()).toEqual(['f11', 'f3', 'f7']);
  });

  it('fires the age rule once per champion version', () => {
    const model = testModel({ maxAge: '5m' });
    const { requests } = run(stream(60_000), { model, partitions: 2, drainEvery: 500, champion: champion(PROFILE, { promotedAt: START - 60_000 }) });
    expect(requests.map((r) => r.reason)).toEqual(['AGE']);
    expect(requests[0]!.age!.maxAgeMs).toBe(300_000);
    expect(requests[0]!.age!.ageMs).toBeGreaterThanOrEqual(300_000);
  });

  it('fires the volume rule once enough events have matured since the champion window', () => {
    const model = testModel({ volume: '{ enabled: true, minNewLabels: 10000 }' });
    // labelMaturity is 1h; 10 ms spacing → an hour is 360k events. Use a champion window far in the past.
    const { requests } = run(stream(60_000), { model, partitions: 2, drainEvery: 500, champion: champion(PROFILE, { dataWindowEnd: START - 3 * 3600_000, promotedAt: START }) });
    expect(requests).toHaveLength(0); // nothing has matured: events are younger than an hour at the watermark
    const aged = run(
      syntheticStream({ seed: 3, features: FEATURES, start: START, spacingMs: 200 }, 30_000),
      { model, partitions: 2, drainEvery: 500, champion: champion(PROFILE, { dataWindowEnd: START - 1, promotedAt: START }) },
    ).requests;
    // 200 ms spacing: 100 minutes of event time, of which the first 40 have matured (≈12k events).
    expect(aged.map((r) => r.reason)).toEqual(['VOLUME']);
    expect(aged[0]!.volume!.newMaturedLabels).toBeGreaterThanOrEqual(10_000);
    expect(aged[0]!.volume!.threshold).toBe(10_000);
    expect(aged[0]!.volume!.since).toBe(START - 1);
  });

  it('counts late events and refuses them (the caller dead-letters them with the reason) instead of using them', () => {
    const model = testModel();
    const plan = compileFeaturePlan(model, avroType(syntheticFeatureSchema(FEATURES)));
    const ingest = new IngestPartition({ topic: 'features', partition: 0, partitions: 1, models: [model] });
    const events = [...stream(7_000)];
    for (const [i, e] of events.entries()) ingest.addFeature(e, null, String(i), new Map([[model.id, plan]]));
    const partials = ingest.drain();
    expect(partials[0]).toMatchObject({ kind: 'features', closedThrough: expect.any(Number) });
    expect(() => ingest.addFeature({ ...events[0]! }, null, '7000', new Map([[model.id, plan]]))).toThrow(
      expect.objectContaining({ code: 'EVENT_TIME_OUT_OF_RANGE', message: expect.stringContaining('behind every open window') }),
    );
    expect(ingest.lateEvents(model.id)).toBe(1);
    expect(ingest.drain()).toEqual([]); // nothing changed: no window reopened, no progress to report
  });
});
