import type { ModelSpec } from '../../../lib/catalog';
import type { ReferenceProfile, RetrainRequested } from '../../../lib/events';
import { merchantFamilyYaml, testCatalog, testModel, testModelYaml } from '../testing/catalog';
import { avroType, syntheticFeatureSchema } from '../testing/schema';
import { familyStream, referenceProfile, syntheticStream, type SyntheticEvent } from '../testing/stream';
import { compileFeaturePlan } from './extract';
import { requestIdFor } from './ids';
import { OVERFLOW_SEGMENT, planGroups, type TriggerGroup } from './groups';
import { IngestPartition, groupFeaturePlan, type GroupFeaturePlan } from './ingest';
import { GroupJudge, type Champion, type JudgeContext, type WindowVerdict } from './judge';
import { PARTIAL_BUDGET_BYTES, decodePartial, encodePartial } from './partials';

const FEATURES = 20;
// Tens of thousands of events per case: seconds of CPU, more on a loaded machine.
jest.setTimeout(300_000);
const START = Date.UTC(2026, 0, 1);
const PROFILE: ReferenceProfile = referenceProfile(FEATURES, 20_000);

function champion(profile = PROFILE, extra: Partial<Champion> = {}): Champion {
  return { version: 1, promotedAt: START, profile, dataWindowEnd: START, ...extra };
}

interface RunOptions {
  readonly models: readonly ModelSpec[];
  readonly partitions: number;
  /** Partition of an event (default: merchant number modulo partitions). */
  readonly partitionOf?: (event: SyntheticEvent, index: number) => number;
  /** Drain partials after this many events per partition (simulates commit cadence). */
  readonly drainEvery: number;
  /** Checkpoint and restore every component after this many events (crash + restart). */
  readonly restartAt?: number;
  /** Partitions whose ingest says "caught up" from the start (an empty partition's heartbeat). */
  readonly heartbeat?: readonly number[];
  readonly context?: Partial<JudgeContext>;
  readonly champion?: Champion | undefined;
  /** A partition that stops getting events at `from`: from then on its ingest says "caught up" (as app.ts does at the end of the log). */
  readonly quiet?: { readonly partition: number; readonly from: number };
  /** Events to insert (by index) with a changed event time: [index, eventTime]. */
  readonly absurd?: readonly [number, number][];
}

interface RunResult {
  requests: RetrainRequested[];
  verdicts: WindowVerdict[];
  /** Verdicts before the final drain (what was judged while the stream ran). */
  verdictsDuringStream: number;
  refused: { index: number; message: string }[];
  largestPartial: number;
  partials: number;
  judges: Map<string, GroupJudge>;
  groups: TriggerGroup[];
  ingests: IngestPartition[];
}

/** The two stages wired by hand, partials round-tripped through their wire encoding, as app.ts wires them. */
function run(events: Iterable<SyntheticEvent>, options: RunOptions): RunResult {
  const groups = planGroups(options.models);
  const type = avroType(syntheticFeatureSchema(FEATURES));
  const plans = new Map<string, GroupFeaturePlan>();
  for (const group of groups) {
    const plan = groupFeaturePlan(group, new Map(group.models.map((m) => [m.id, compileFeaturePlan(m, type)])));
    if (plan) plans.set(group.id, plan);
  }
  const newIngest = (partition: number, state?: ReturnType<IngestPartition['toJSON']>): IngestPartition =>
    new IngestPartition({ topic: 'features', partition, partitions: options.partitions, groups }, state);
  let ingests = Array.from({ length: options.partitions }, (_, p) => newIngest(p));
  let judges = new Map<string, GroupJudge>();
  const judgeOf = (key: string): GroupJudge => {
    let judge = judges.get(key);
    if (!judge) {
      const [groupId, shard] = key.split('/');
      judge = new GroupJudge(groups.find((g) => g.id === groupId)!, Number(shard));
      judges.set(key, judge);
    }
    return judge;
  };
  const context: JudgeContext = {
    champion: () => ('champion' in options ? options.champion : champion()),
    inFlight: () => false,
    outcome: () => 'PENDING',
    ...options.context,
  };
  const result: RunResult = { requests: [], verdicts: [], verdictsDuringStream: 0, refused: [], largestPartial: 0, partials: 0, judges, groups, ingests };
  const deliver = (drained: ReturnType<IngestPartition['drain']>): void => {
    for (const { key, partial } of drained) {
      const encoded = encodePartial(partial);
      result.largestPartial = Math.max(result.largestPartial, encoded.length);
      result.partials++;
      const decoded = decodePartial(encoded);
      if (decoded.kind === 'labels') judgeOf(key).addLabels(decoded);
      else {
        const out = judgeOf(key).addFeatures(decoded, context);
        result.requests.push(...out.requests);
        result.verdicts.push(...out.verdicts);
      }
    }
  };
  for (const p of options.heartbeat ?? []) deliver(ingests[p]!.drain(true));
  const absurd = new Map(options.absurd ?? []);
  const offsets = new Array<number>(options.partitions).fill(0);
  const partitionOf = options.partitionOf ?? ((e: SyntheticEvent) => Number(e.merchant_id.slice(1)) % options.partitions);
  let n = 0;
  for (const original of events) {
    const event = absurd.has(n) ? { ...original, event_time: absurd.get(n)! } : original;
    const partition = partitionOf(event, n);
    try {
      // The record's timestamp is the producer's, right even when the event's own time field is not.
      ingests[partition]!.addFeature(event, Buffer.from(event.merchant_id), String(offsets[partition]!), plans, original.event_time);
    } catch (error) {
      result.refused.push({ index: n, message: (error as Error).message });
    }
    offsets[partition]!++;
    if (offsets[partition]! % options.drainEvery === 0) deliver(ingests[partition]!.drain(false));
    if (options.quiet && n >= options.quiet.from && n % options.drainEvery === 0) deliver(ingests[options.quiet.partition]!.drain(true));
    n++;
    if (options.restartAt === n) {
      for (const ingest of ingests) deliver(ingest.drain(false));
      const saved = ingests.map((i) => JSON.parse(JSON.stringify(i.toJSON())) as ReturnType<IngestPartition['toJSON']>);
      ingests = saved.map((state, p) => newIngest(p, state));
      result.ingests = ingests;
      const savedJudges = [...judges].map(([key, j]) => [key, JSON.parse(JSON.stringify(j.toJSON()))] as const);
      judges = new Map(savedJudges.map(([key, state]) => [key, new GroupJudge(groups.find((g) => g.id === key.split('/')[0])!, Number(key.split('/')[1]), state)]));
      result.judges = judges;
    }
  }
  result.verdictsDuringStream = result.verdicts.length;
  for (const ingest of ingests) deliver(ingest.drain(true));
  return result;
}

const ids = (rs: RetrainRequested[]): string[] => rs.map((r) => r.requestId);
const driftedFeatures = (r: RetrainRequested): string[] => r.drift!.features.filter((f) => f.drifted).map((f) => f.feature).sort();

describe('trigger core: stage 1 (ingest) + stage 2 (judge)', () => {
  // 1 event per 10 ms of event time → 6000 events per 1-minute window.
  const stream = (count: number, change?: { at: number; features: number[] }, seed = 7) =>
    syntheticStream({ seed, features: FEATURES, start: START, spacingMs: 10, ...(change ? { changeAt: change.at, changed: change.features, shift: 0.5 } : {}) }, count);

  it('requests nothing on a stationary stream', () => {
    const { requests, verdicts } = run(stream(120_000), { models: [testModel()], partitions: 3, drainEvery: 500 });
    expect(requests).toEqual([]);
    expect(verdicts.length).toBeGreaterThanOrEqual(18);
    expect(verdicts.every((v) => v.drifted === false)).toBe(true);
  });

  it('requests exactly once, naming the three changed features, within two windows of the change', () => {
    const changeAt = 60_000; // window 10
    const { requests, verdicts } = run(stream(120_000, { at: changeAt, features: [3, 7, 11] }), { models: [testModel()], partitions: 3, drainEvery: 500 });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.reason).toBe('DRIFT');
    expect(request!.modelId).toBe('synthetic');
    expect(driftedFeatures(request!)).toEqual(['f11', 'f3', 'f7']);
    const changeTime = START + changeAt * 10;
    expect(request!.drift!.windowStart).toBeGreaterThanOrEqual(changeTime);
    expect(request!.drift!.windowEnd - changeTime).toBeLessThanOrEqual(2 * 60_000);
    expect(request!.drift!.bootstrapReference).toBe(false);
    expect(request!.drift!.sourceOffsets.map((o) => o.partition)).toEqual([0, 1, 2]);
    expect(request!.requestedAt).toBe(request!.drift!.windowEnd);
    // The drift goes on; the request has no outcome yet (the context says PENDING), so nothing more is asked.
    expect(verdicts.filter((v) => v.suppressed === 'in-flight').length).toBeGreaterThan(0);
  });

  it('decides the same whatever the partitioning, commit cadence, or a checkpoint/restore mid-stream', () => {
    const events = () => stream(90_000, { at: 45_000, features: [1, 2, 5] });
    const baseline = run(events(), { models: [testModel()], partitions: 1, drainEvery: 1000 }).requests;
    expect(baseline).toHaveLength(1);
    expect(ids(run(events(), { models: [testModel()], partitions: 4, drainEvery: 137 }).requests)).toEqual(ids(baseline));
    expect(ids(run(events(), { models: [testModel()], partitions: 4, drainEvery: 137, restartAt: 44_999 }).requests)).toEqual(ids(baseline));
    const restarted = run(events(), { models: [testModel()], partitions: 2, drainEvery: 50, restartAt: 61_234 }).requests;
    expect(ids(restarted)).toEqual(ids(baseline));
    expect(driftedFeatures(restarted[0]!)).toEqual(['f1', 'f2', 'f5']);
  });

  describe('real traffic shapes', () => {
    // Partitions loaded 60/30/10 and a fourth that never gets an event.
    const skewed = (_e: SyntheticEvent, i: number): number => {
      const r = (i * 2654435761) % 100;
      return r < 60 ? 0 : r < 90 ? 1 : 2;
    };

    it('count windows are one event-time interval of the whole topic, whatever the skew', () => {
      const model = testModel({ window: '{ type: count, size: 2000, resolution: 1s }', minSamples: 500 });
      const even = run(stream(48_000), { models: [model], partitions: 3, drainEvery: 400 });
      const uneven = run(stream(48_000), { models: [model], partitions: 4, drainEvery: 400, partitionOf: skewed, heartbeat: [3] });
      // 10 ms spacing: 2,000 events are 20 s, on every partition together.
      const spans = uneven.verdicts.map((v) => v.window.end - v.window.start);
      expect(spans.every((s) => s === 20_000)).toBe(true);
      expect(uneven.verdicts.map((v) => v.window)).toEqual(even.verdicts.map((v) => v.window));
      expect(uneven.verdicts.length).toBeGreaterThanOrEqual(23); // 24 windows in 48k events, the last may still be open
      expect(uneven.verdicts.map((v) => v.events)).toEqual(even.verdicts.map((v) => v.events));
    });

    it('60/30/10 partitions, one idle, a far-future event: the drift is requested within two windows, the bad event refused', () => {
      const changeAt = 60_000;
      const far = START + 50 * 365 * 86_400_000;
      const r = run(stream(120_000, { at: changeAt, features: [3, 7, 11] }), { models: [testModel()], partitions: 4, drainEvery: 300, partitionOf: skewed, heartbeat: [3], absurd: [[30_000, far]] });
      expect(r.refused).toEqual([{ index: 30_000, message: expect.stringContaining('ahead of the partition') }]);
      expect(r.requests).toHaveLength(1);
      const changeTime = START + changeAt * 10;
      expect(r.requests[0]!.drift!.windowEnd - changeTime).toBeLessThanOrEqual(2 * 60_000);
      expect(driftedFeatures(r.requests[0]!)).toEqual(['f11', 'f3', 'f7']);
      expect([...r.judges.values()][0]!.idlePartitions()).toEqual([3]);
    });

    it('without a heartbeat, a partition never read holds every slice back', () => {
      const r = run(stream(30_000), { models: [testModel()], partitions: 4, drainEvery: 300, partitionOf: skewed });
      expect(r.verdictsDuringStream).toBe(0);
      // The final drain says every partition is caught up: the empty one is then idle and the rest is judged.
      expect(r.verdicts.length).toBeGreaterThanOrEqual(4);
    });

    it('a partition that goes quiet stops holding windows back after the idle timeout', () => {
      // Partition 1 gets every other event until 40 % of the stream, then none; 10 windows of 1 min in all.
      const partitionOf = (_e: SyntheticEvent, i: number): number => (i % 2 === 1 && i < 24_000 ? 1 : 0);
      const quiet = run(stream(60_000), { models: [testModel()], partitions: 2, drainEvery: 250, partitionOf, quiet: { partition: 1, from: 24_000 } });
      // Judged while the stream runs: all but the windows within the idle timeout (5 min) of partition 1's last event and the open one.
      expect(quiet.verdictsDuringStream).toBeGreaterThanOrEqual(3);
      expect([...quiet.judges.values()][0]!.idlePartitions()).toEqual([1]);
      // Without "caught up" the quiet partition could just be behind: nothing after its last slice is judged until the end.
      const behind = run(stream(60_000), { models: [testModel()], partitions: 2, drainEvery: 250, partitionOf });
      expect(behind.verdictsDuringStream).toBeLessThan(quiet.verdictsDuringStream);
      expect(behind.verdicts.map((v) => v.window)).toEqual(quiet.verdicts.map((v) => v.window));
    });

    it('hundreds of models on one topic share one sketch: one group, and each model is judged and requested', () => {
      const yaml = Array.from({ length: 200 }, (_, i) => testModelYaml({ id: `m${i}` }));
      const models = testCatalog(...yaml).models;
      const r = run(stream(60_000, { at: 30_000, features: [1, 2, 5] }), { models, partitions: 3, drainEvery: 500 });
      expect(r.groups).toHaveLength(1);
      const single = run(stream(60_000, { at: 30_000, features: [1, 2, 5] }), { models: [models[0]!], partitions: 3, drainEvery: 500 });
      // The same partials whatever the number of models: the sketch is per group.
      expect(r.partials).toBe(single.partials);
      expect(r.largestPartial).toBe(single.largestPartial);
      expect(r.requests.map((q) => q.modelId).sort()).toEqual(models.map((m) => m.id).sort());
      expect(new Set(r.requests.map((q) => q.drift!.windowEnd))).toEqual(new Set(single.requests.map((q) => q.drift!.windowEnd)));
    });
  });

  describe('families of thousands of segments', () => {
    /** 2,000 merchants: 20 big ones (m0..m19, half the traffic), the rest small; m3, m7, m11, m13, m17 shift after `changeAt`. */
    const merchantStream = (count: number, changeAt: number): Iterable<SyntheticEvent> =>
      familyStream({ seed: 5, features: 10, start: START, spacingMs: 1, merchants: 2000, big: 20, changed: ['m3', 'm7', 'm11', 'm13', 'm17'], changeAt }, count);
    const familyYaml = (maxSegments: number, shards: number): string => merchantFamilyYaml({ maxSegments, shards });

    it('requests exactly for the changed merchants, with every record under the budget, spread over shards', () => {
      const models = testCatalog(familyYaml(5000, 8)).models;
      // 1 event per ms: 60,000 events per window; the change after 4 windows.
      const r = run(merchantStream(480_000, 240_000), { models, partitions: 3, drainEvery: 2000, champion: undefined, partitionOf: (e) => Number(e.merchant_id.slice(1)) % 3 });
      expect(r.requests.map((q) => q.segment).sort()).toEqual(['m11', 'm13', 'm17', 'm3', 'm7']);
      expect(r.requests.every((q) => q.reason === 'DRIFT' && q.modelId.startsWith('per-merchant'))).toBe(true);
      expect(r.largestPartial).toBeLessThanOrEqual(PARTIAL_BUDGET_BYTES);
      expect(r.judges.size).toBe(8);
      const admitted = [...r.judges.values()].map((j) => j.admittedSegments());
      expect(admitted.reduce((a, b) => a + b, 0)).toBe(2000);
      expect(Math.min(...admitted)).toBeGreaterThan(100); // hashing spreads the members
      for (const judge of r.judges.values()) expect(JSON.stringify(judge.toJSON()).length).toBeLessThan(8 * 1024 * 1024);
    });

    it('sliding windows over a family: requests exactly for the changed merchants, bootstraps from hops counted once, state bounded', () => {
      const models = testCatalog(merchantFamilyYaml({ maxSegments: 5000, shards: 4, window: '{ type: time, size: 1m, hop: 20s, allowedLateness: 5s }' })).models;
      const r = run(merchantStream(360_000, 240_000), { models, partitions: 3, drainEvery: 2000, champion: undefined, partitionOf: (e) => Number(e.merchant_id.slice(1)) % 3 });
      expect(r.requests.map((q) => q.segment).sort()).toEqual(['m11', 'm13', 'm17', 'm3', 'm7']);
      expect(r.largestPartial).toBeLessThanOrEqual(PARTIAL_BUDGET_BYTES);
      // Three hops a window: the judge holds about three windows' summaries, not more.
      for (const judge of r.judges.values()) expect(JSON.stringify(judge.toJSON()).length).toBeLessThan(16 * 1024 * 1024);
      // Bootstrap references were built from each hop once: a big merchant's first window, not three copies of it.
      const first = r.verdicts.find((v) => v.modelId === 'per-merchant.m0' && v.drifted !== null)!;
      expect(first.window.end - first.window.start).toBe(60_000);
    });

    it('enforces maxSegments: segments beyond a shard\'s share go to its overflow member, which never requests', () => {
      const models = testCatalog(familyYaml(400, 4)).models;
      const r = run(merchantStream(240_000, 120_000), { models, partitions: 2, drainEvery: 2000, champion: undefined });
      const admitted = [...r.judges.values()].map((j) => j.admittedSegments());
      expect(admitted).toEqual([100, 100, 100, 100]);
      expect([...r.judges.values()].every((j) => j.overflowFolds() > 0)).toBe(true);
      expect(r.verdicts.some((v) => v.modelId.endsWith(OVERFLOW_SEGMENT))).toBe(true);
      expect(r.requests.every((q) => q.segment !== OVERFLOW_SEGMENT)).toBe(true);
    });
  });

  describe('sliding windows (window.hop, issue 12)', () => {
    // 2,000-event windows judged every 200 events (1 s resolution = 100 events per slice per topic).
    const sliding = (extra = '') => testModel({ window: `{ type: count, size: 2000, resolution: 1s, hop: 200 }${extra}`, minSamples: 500 });
    const tumbling = () => testModel({ window: '{ type: count, size: 2000, resolution: 1s }', minSamples: 500 });

    it('judges every hop over the last window, and requests a change sooner than tumbling windows', () => {
      const changeAt = 30_100; // mid-window for the tumbling windows
      const changeTime = START + changeAt * 10;
      const slide = run(stream(48_000, { at: changeAt, features: [3, 7, 11] }), { models: [sliding()], partitions: 3, drainEvery: 250 });
      const tumble = run(stream(48_000, { at: changeAt, features: [3, 7, 11] }), { models: [tumbling()], partitions: 3, drainEvery: 250 });
      // Judged every 2 s of event time (200 events), each over 20 s (2,000 events).
      const spans = slide.verdicts.map((v) => v.window.end - v.window.start);
      expect(new Set(spans)).toEqual(new Set([20_000]));
      const ends = slide.verdicts.map((v) => v.window.end);
      expect(ends.slice(1).map((e, i) => e - ends[i]!)).toEqual(ends.slice(1).map(() => 2_000));
      expect(slide.verdicts.length).toBeGreaterThan(8 * tumble.verdicts.length);
      expect(slide.requests).toHaveLength(1);
      expect(tumble.requests).toHaveLength(1);
      // Judged early, the request may name fewer than the three (the first to cross their level), never another.
      expect(driftedFeatures(slide.requests[0]!).length).toBeGreaterThan(0);
      expect(driftedFeatures(slide.requests[0]!).every((f) => ['f11', 'f3', 'f7'].includes(f))).toBe(true);
      const delay = (r: RetrainRequested) => r.drift!.windowEnd - changeTime;
      expect(delay(slide.requests[0]!)).toBeLessThan(delay(tumble.requests[0]!) / 2);
      // Within 3 hops of the change (the recent-change scan), where the tumbling window needs most of a window.
      expect(delay(slide.requests[0]!)).toBeLessThanOrEqual(3 * 2_000);
      // The budget is split over the 10 judgements per window, and half of a feature's share goes to the scan:
      // the rule says so; the window test's threshold is a twentieth, each scan test's a share of the other half.
      expect(slide.requests[0]!.drift!.datasetRule).toMatch(/1\/1000 per window, 0\.1 of it per judgement \(sliding\).*half of each share scans the newest 1\.\.10 hops for a recent change \([1-3] found so\)/);
      const f3 = (r: RetrainRequested) => r.drift!.features.find((f) => f.feature === 'f3')!;
      const stable = (r: RetrainRequested) => r.drift!.features.find((f) => f.feature === 'f1')!;
      expect(stable(slide.requests[0]!).threshold).toBeCloseTo(stable(tumble.requests[0]!).threshold / 20, 12);
      const found = slide.requests[0]!.drift!.features.filter((f) => f.drifted);
      for (const f of found) {
        if (f.test === 'Z_TEST') expect(f.threshold).toBeLessThanOrEqual(f3(tumble.requests[0]!).threshold / 20 / 2 + 1e-18);
        else expect(f.threshold).toBeCloseTo(f3(tumble.requests[0]!).threshold / 20, 12);
      }
      expect(found.some((f) => f.test === 'Z_TEST')).toBe(true);
    });

    it('time windows: the last minute judged every 10 s (slices of the hop), the change requested sooner', () => {
      const changeAt = 36_500; // 6 min 5 s in: mid-minute
      const changeTime = START + changeAt * 10;
      const slide = run(stream(60_000, { at: changeAt, features: [3, 7, 11] }), { models: [testModel({ window: '{ type: time, size: 1m, hop: 10s, allowedLateness: 5s }' })], partitions: 3, drainEvery: 250 });
      const tumble = run(stream(60_000, { at: changeAt, features: [3, 7, 11] }), { models: [testModel()], partitions: 3, drainEvery: 250 });
      expect(new Set(slide.verdicts.map((v) => v.window.end - v.window.start))).toEqual(new Set([60_000]));
      expect(new Set(slide.verdicts.map((v) => (v.window.end - START) % 10_000))).toEqual(new Set([0]));
      expect(slide.requests).toHaveLength(1);
      expect(tumble.requests).toHaveLength(1);
      expect(slide.requests[0]!.drift!.windowEnd - changeTime).toBeLessThan(tumble.requests[0]!.drift!.windowEnd - changeTime);
    });

    it('stationary: no request; the volume history counts each event once', () => {
      const r = run(stream(40_000), { models: [sliding()], partitions: 3, drainEvery: 250 });
      expect(r.requests).toEqual([]);
      const judge = [...r.judges.values()][0]!;
      const history = (judge.toJSON().members.synthetic![''] as { history: [number, number, number][] }).history;
      const counted = history.reduce((n, [, , c]) => n + c, 0);
      // Every judged hop's own events, once: at most the stream, not ~10 × it.
      expect(counted).toBeLessThanOrEqual(40_000);
      expect(counted).toBeGreaterThan(30_000);
    });

    it('decides the same across partitionings, commit cadences and a checkpoint/restore mid-window', () => {
      const events = () => stream(40_000, { at: 20_050, features: [1, 2, 5] });
      const baseline = run(events(), { models: [sliding()], partitions: 1, drainEvery: 1000 });
      expect(baseline.requests).toHaveLength(1);
      for (const options of [
        { partitions: 4, drainEvery: 137 },
        { partitions: 2, drainEvery: 50, restartAt: 20_777 },
        { partitions: 3, drainEvery: 333, restartAt: 19_001 },
      ]) {
        const other = run(events(), { models: [sliding()], ...options });
        expect(ids(other.requests)).toEqual(ids(baseline.requests));
        expect(other.verdicts.map((v) => [v.window.start, v.window.end, v.events])).toEqual(baseline.verdicts.map((v) => [v.window.start, v.window.end, v.events]));
      }
    });
  });

  it('needs K consecutive drifted windows when hysteresis is set', () => {
    const model = testModel({ consecutiveWindows: 3 });
    const { requests } = run(stream(120_000, { at: 60_000, features: [3, 7, 11] }), { models: [model], partitions: 2, drainEvery: 500 });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.drift!.windowStart).toBeGreaterThanOrEqual(START + 60_000 * 10 + 2 * 60_000);
  });

  it('holds requests while a run for the model is in flight', () => {
    const { requests, verdicts } = run(stream(120_000, { at: 60_000, features: [3, 7, 11] }), { models: [testModel()], partitions: 2, drainEvery: 500, context: { inFlight: () => true } });
    expect(requests).toEqual([]);
    expect(verdicts.some((v) => v.suppressed === 'in-flight')).toBe(true);
  });

  it('bootstraps a reference from the first events when there is no champion, and says so', () => {
    const model = testModel({ bootstrapEvents: 12_000 });
    const { requests, verdicts } = run(stream(120_000, { at: 60_000, features: [3, 7, 11] }), { models: [model], partitions: 2, drainEvery: 500, champion: undefined });
    expect(verdicts.filter((v) => v.drifted === null).length).toBe(2); // the two bootstrap windows
    expect(requests).toHaveLength(1);
    expect(requests[0]!.drift!.bootstrapReference).toBe(true);
    expect(requests[0]!.championVersion).toBeNull();
    expect(driftedFeatures(requests[0]!)).toEqual(['f11', 'f3', 'f7']);
  });

  it('fires the age rule on the champion\'s data age, once while its request has no outcome', () => {
    const model = testModel({ maxAge: '5m' });
    const { requests } = run(stream(60_000), { models: [model], partitions: 2, drainEvery: 500, champion: champion(PROFILE, { promotedAt: START - 60_000 }) });
    expect(requests.map((r) => r.reason)).toEqual(['AGE']);
    expect(requests[0]!.age!.maxAgeMs).toBe(300_000);
    expect(requests[0]!.age!.ageMs).toBeGreaterThanOrEqual(300_000);
  });

  describe('re-firing after a run without a promotion (issue 13)', () => {
    // AGE on data age: the champion's data ends at START, so its data is 5 min old at the window ending START + 5 min,
    // although it was promoted (wall clock) a day later: data lagging behind the loop.
    const model = testModel({ maxAge: '5m', cooldown: '1m', extraTriggers: '      refire: { backoff: 2m, maxBackoff: 4m }' });
    const lagging = champion(PROFILE, { dataWindowEnd: START, promotedAt: START + 86_400_000 });
    const minutes = (rs: RetrainRequested[]): number[] => rs.map((r) => (r.requestedAt - START) / 60_000);

    it('a rejected candidate: AGE fires again after a doubling, capped backoff, each attempt its own requestId, the same across a restart', () => {
      const options = { models: [model], partitions: 2, drainEvery: 500, champion: lagging, context: { outcome: () => 'REJECTED' as const } };
      const { requests, verdicts } = run(stream(90_000), options);
      // Request at 5 min; rejection learnt at 6 → +2 min → 8; learnt at 9 → +4 → 13 (the cap).
      expect(minutes(requests)).toEqual([5, 8, 13]);
      expect(requests.map((r) => r.reason)).toEqual(['AGE', 'AGE', 'AGE']);
      expect(requests[0]!.requestId).toBe(requestIdFor('synthetic', 'AGE', 'a1'));
      expect(requests[2]!.requestId).toBe(requestIdFor('synthetic', 'AGE', 'a1', 2));
      expect(new Set(ids(requests)).size).toBe(3);
      expect(requests[0]!.age).toEqual({ championPromotedAt: START + 86_400_000, ageMs: 300_000, maxAgeMs: 300_000, championDataWindowEnd: START });
      expect(verdicts.filter((v) => v.learnt !== null).map((v) => (v.window.end - START) / 60_000)).toEqual([6, 9, 14]);
      expect(verdicts.some((v) => v.suppressed === 'backoff')).toBe(true);
      expect(verdicts.some((v) => v.suppressed === 'in-flight')).toBe(false);
      // The attempts live in the judge's checkpoint: a restart between two attempts decides the same.
      expect(ids(run(stream(90_000), { ...options, restartAt: 50_000 }).requests)).toEqual(ids(requests));
    });

    it('never while the outcome is pending, nor after PROMOTE (the new champion resets the count)', () => {
      for (const outcome of ['PENDING', 'PROMOTED'] as const) {
        const { requests, verdicts } = run(stream(90_000), { models: [model], partitions: 2, drainEvery: 500, champion: lagging, context: { outcome: () => outcome } });
        expect(minutes(requests)).toEqual([5]);
        expect(verdicts.filter((v) => v.suppressed === 'in-flight').length).toBeGreaterThan(5);
      }
    });
  });

  it('fires the volume rule once enough events have matured since the champion window', () => {
    const model = testModel({ volume: '{ enabled: true, minNewLabels: 10000 }' });
    const { requests } = run(stream(60_000), { models: [model], partitions: 2, drainEvery: 500, champion: champion(PROFILE, { dataWindowEnd: START - 3 * 3600_000, promotedAt: START }) });
    expect(requests).toHaveLength(0); // nothing has matured: events are younger than an hour at the watermark
    const aged = run(syntheticStream({ seed: 3, features: FEATURES, start: START, spacingMs: 200 }, 30_000), {
      models: [model],
      partitions: 2,
      drainEvery: 500,
      champion: champion(PROFILE, { dataWindowEnd: START - 1, promotedAt: START }),
    }).requests;
    expect(aged.map((r) => r.reason)).toEqual(['VOLUME']);
    expect(aged[0]!.volume!.newMaturedLabels).toBeGreaterThanOrEqual(10_000);
    expect(aged[0]!.volume!.since).toBe(START - 1);
  });

  it('counts late events and refuses them (the caller dead-letters them with the reason) instead of using them', () => {
    const model = testModel();
    const [group] = planGroups([model]);
    const plans = new Map([[group!.id, groupFeaturePlan(group!, new Map([[model.id, compileFeaturePlan(model, avroType(syntheticFeatureSchema(FEATURES)))]]))!]]);
    const ingest = new IngestPartition({ topic: 'features', partition: 0, partitions: 1, groups: [group!] });
    const events = [...stream(7_000)];
    for (const [i, e] of events.entries()) ingest.addFeature(e, null, String(i), plans);
    const partials = ingest.drain(true);
    expect(partials[0]!.partial).toMatchObject({ kind: 'features', closedThrough: expect.any(Number), caughtUp: true, final: true });
    expect(() => ingest.addFeature({ ...events[0]! }, null, '7000', plans)).toThrow(expect.objectContaining({ code: 'EVENT_TIME_OUT_OF_RANGE', message: expect.stringContaining('behind every open slice') }));
    expect(ingest.lateEvents(group!.id)).toBe(1);
    expect(ingest.drain(true)).toEqual([]); // nothing changed: no slice reopened, no progress to report
  });
});
