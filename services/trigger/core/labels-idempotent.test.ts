import type { ModelSpec } from '../../../lib/catalog';
import type { RetrainRequested } from '../../../lib/events';
import { merchantFamilyYaml, testCatalog, testModel, testModelYaml } from '../testing/catalog';
import { avroType, syntheticFeatureSchema, syntheticLabelSchema } from '../testing/schema';
import { referenceProfile, syntheticStream } from '../testing/stream';
import { compileFeaturePlan, compileLabelPlan } from './extract';
import { planGroups, type TriggerGroup } from './groups';
import { IngestPartition, groupFeaturePlan, groupLabelPlan, type GroupFeaturePlan, type GroupLabelPlan } from './ingest';
import { GroupJudge, type Champion, type JudgeContext, type JudgeState } from './judge';
import { decodePartial, encodePartial, type LabelPartial } from './partials';

/**
 * Label partials are added, not set: delivered twice (a zombie's completed
 * commit, a replay of the partials topic, a judge restored from a checkpoint
 * older than its partials read) they must count once. Each carries its label
 * partition's input range (from, through, part of parts); the judge skips what
 * it has already applied.
 */
jest.setTimeout(120_000);
const FEATURES = 20;
const START = Date.UTC(2026, 0, 1);
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
/** Through the wire encoding, as the judge stage reads them. */
const wire = (partial: LabelPartial): LabelPartial => decodePartial(encodePartial(partial)) as LabelPartial;

type Label = {
  event_id: string;
  label_time: number;
  is_fraud: boolean;
  merchant_id?: string;
};

const labelSchemaWithMerchant = { ...syntheticLabelSchema, fields: [...syntheticLabelSchema.fields, { name: 'merchant_id', type: 'string' }] };

function labelPlans(group: TriggerGroup, schema: object = syntheticLabelSchema): Map<string, GroupLabelPlan> {
  return new Map([[group.id, groupLabelPlan(group, new Map(group.models.map((m) => [m.id, compileLabelPlan(m, avroType(schema))])))!]]);
}

/** A label partition's ingest, fed labels at consecutive offsets from `first`, drained as one commit. */
function labelCommit(ingest: IngestPartition, plans: Map<string, GroupLabelPlan>, labels: readonly Label[], first: number): LabelPartial[] {
  labels.forEach((label, i) => ingest.addLabel(label, null, plans, String(first + i)));
  return ingest.drain(false).map(({ partial }) => wire(partial as LabelPartial));
}

function labels(n: number, offset = 0, positiveEvery = 3): Label[] {
  return Array.from({ length: n }, (_, i) => ({ event_id: `e-${offset + i}`, label_time: START + (offset + i) * 1000, is_fraud: (offset + i) % positiveEvery === 0 }));
}

/** Label counts of every member of the judge, summed (what VOLUME and the fraud rate read). */
function counted(judge: GroupJudge): { labels: number; positives: number; windowLabels: number } {
  const total = { labels: 0, positives: 0, windowLabels: 0 };
  for (const byModel of Object.values(judge.toJSON().members)) {
    for (const member of Object.values(byModel)) {
      total.labels += member.labels.labels;
      total.positives += member.labels.positives;
      total.windowLabels += member.windowLabels.labels;
    }
  }
  return total;
}

/** The judge's state as app.ts restores it: both checkpoint parts, through JSON. */
function restored(group: TriggerGroup, judge: GroupJudge, transform: (members: Record<string, unknown>) => void = () => undefined): GroupJudge {
  const parts = judge.checkpoint();
  const members = clone(parts.members!) as unknown as Record<string, unknown>;
  transform(members);
  return new GroupJudge(group, 0, { ...clone(parts.core), ...members } as unknown as JudgeState);
}

describe('idempotent label partials', () => {
  const model = testModel({ volume: '{ enabled: true, minNewLabels: 10000 }' });
  const [group] = planGroups([model]);
  const plans = labelPlans(group!);

  it('carry their label partition input range: the offset of the first label event and the offset after the last, part 0 of 1', () => {
    const ingest = new IngestPartition({ topic: 'labels', partition: 2, partitions: 4, groups: [group!] });
    const [first] = labelCommit(ingest, plans, labels(10), 100);
    expect(first).toMatchObject({ kind: 'labels', topic: 'labels', partition: 2, from: '100', through: '110', part: 0, parts: 1 });
    const [second] = labelCommit(ingest, plans, labels(5, 10), 110);
    expect(second).toMatchObject({ from: '110', through: '115', part: 0, parts: 1 });
    // A drain without label events since: nothing to send (a global group outside PERFORMANCE sends no progress).
    expect(ingest.drain(true)).toEqual([]);
  });

  it('the same label partial delivered twice counts once', () => {
    const ingest = new IngestPartition({ topic: 'labels', partition: 0, partitions: 1, groups: [group!] });
    const judge = new GroupJudge(group!, 0);
    const partials = labelCommit(ingest, plans, labels(30), 0);
    expect(partials).toHaveLength(1);
    for (const p of partials) judge.addLabels(p);
    expect(counted(judge)).toEqual({ labels: 30, positives: 10, windowLabels: 30 });
    for (const p of partials) judge.addLabels(clone(p));
    expect(counted(judge)).toEqual({ labels: 30, positives: 10, windowLabels: 30 });
    // The next commit counts; a late redelivery of the first one still does not.
    const next = labelCommit(ingest, plans, labels(6, 30), 30);
    for (const p of [...next, ...partials, ...next]) judge.addLabels(p);
    expect(counted(judge)).toEqual({ labels: 36, positives: 12, windowLabels: 36 });
  });

  it('says what it did with each: applied, then duplicate', () => {
    const ingest = new IngestPartition({ topic: 'labels', partition: 0, partitions: 1, groups: [group!] });
    const judge = new GroupJudge(group!, 0);
    const [p] = labelCommit(ingest, plans, labels(3), 7);
    expect(judge.addLabels(p!)).toBe('applied');
    expect(judge.addLabels(p!)).toBe('duplicate');
  });

  it('keeps label partitions apart: the same range on another partition is not a duplicate', () => {
    const judge = new GroupJudge(group!, 0);
    const a = labelCommit(new IngestPartition({ topic: 'labels', partition: 0, partitions: 2, groups: [group!] }), plans, labels(4), 0);
    const b = labelCommit(new IngestPartition({ topic: 'labels', partition: 1, partitions: 2, groups: [group!] }), plans, labels(4, 4), 0);
    expect(a[0]!.through).toBe(b[0]!.through);
    for (const p of [...a, ...b, ...a, ...b]) judge.addLabels(p);
    expect(counted(judge).labels).toBe(8);
  });

  it('an old-format partial (no input range) still counts, as it always did, before and after ranged ones', () => {
    const ingest = new IngestPartition({ topic: 'labels', partition: 0, partitions: 1, groups: [group!] });
    const judge = new GroupJudge(group!, 0);
    const strip = (p: LabelPartial): LabelPartial => {
      const { from: _from, through: _through, part: _part, parts: _parts, ...old } = p;
      return old;
    };
    const old = labelCommit(ingest, plans, labels(10), 0).map(strip);
    expect(old[0]).not.toHaveProperty('through');
    for (const p of old) expect(judge.addLabels(p)).toBe('applied');
    expect(counted(judge).labels).toBe(10);
    const ranged = labelCommit(ingest, plans, labels(5, 10), 10);
    for (const p of ranged) judge.addLabels(p);
    const olderWriter = labelCommit(ingest, plans, labels(2, 15), 15).map(strip);
    for (const p of olderWriter) judge.addLabels(p);
    expect(counted(judge).labels).toBe(17);
    // Without a range nothing tells a redelivery apart: applied again (as before this check existed).
    for (const p of old) judge.addLabels(p);
    expect(counted(judge).labels).toBe(27);
  });

  it('after a restore from its checkpoint, a redelivery of partials already applied counts once', () => {
    const ingest = new IngestPartition({ topic: 'labels', partition: 0, partitions: 1, groups: [group!] });
    let judge = new GroupJudge(group!, 0);
    const first = labelCommit(ingest, plans, labels(20), 0);
    for (const p of first) judge.addLabels(p);
    judge = restored(group!, judge);
    const second = labelCommit(ingest, plans, labels(10, 20), 20);
    // The partials topic read again from before the checkpoint: the first commit, then the second.
    for (const p of [...first, ...second]) judge.addLabels(p);
    expect(counted(judge)).toEqual({ labels: 30, positives: 10, windowLabels: 30 });
    judge = restored(group!, judge);
    for (const p of [...first, ...second]) judge.addLabels(p);
    expect(counted(judge).labels).toBe(30);
  });

  it('loads a checkpoint written before the applied ranges were kept, and applies what comes next', () => {
    const ingest = new IngestPartition({ topic: 'labels', partition: 0, partitions: 1, groups: [group!] });
    let judge = new GroupJudge(group!, 0);
    for (const p of labelCommit(ingest, plans, labels(20), 0)) judge.addLabels(p);
    judge = restored(group!, judge, (members) => delete members.labelsApplied);
    expect(judge.toJSON().labelsApplied).toBeUndefined();
    const next = labelCommit(ingest, plans, labels(10, 20), 20);
    for (const p of [...next, ...next]) judge.addLabels(p);
    expect(counted(judge).labels).toBe(30);
  });

  it('the applied ranges are in the members part of the checkpoint (written with the label counts they guard)', () => {
    const ingest = new IngestPartition({ topic: 'labels', partition: 3, partitions: 4, groups: [group!] });
    const judge = new GroupJudge(group!, 0);
    for (const p of labelCommit(ingest, plans, labels(2), 40)) judge.addLabels(p);
    const parts = judge.checkpoint();
    expect(parts.members?.labelsApplied).toEqual({ 'labels:3': { from: '40', through: '42', part: 0, parts: 1 } });
    expect(parts.core).not.toHaveProperty('labelsApplied');
    // A duplicate changes nothing: no members part to write.
    for (const p of labelCommit(new IngestPartition({ topic: 'labels', partition: 3, partitions: 4, groups: [group!] }), plans, labels(2), 40)) judge.addLabels(p);
    expect(judge.checkpoint().members).toBeNull();
  });

  it('a replay that began before the applied range and ends after it is applied, and said to overlap', () => {
    const ingest = new IngestPartition({ topic: 'labels', partition: 0, partitions: 1, groups: [group!] });
    const judge = new GroupJudge(group!, 0);
    for (const p of labelCommit(ingest, plans, labels(10), 0)) judge.addLabels(p);
    // Another ingest instance (a zombie's successor that read the offsets before the first commit landed) commits 5..20.
    const replay = labelCommit(new IngestPartition({ topic: 'labels', partition: 0, partitions: 1, groups: [group!] }), plans, labels(15, 5), 5);
    expect(judge.addLabels(replay[0]!)).toBe('overlapping');
    expect(counted(judge).labels).toBe(25); // 5..10 twice: a partial's counts cannot be split
  });

  describe('split over several records', () => {
    const family = testCatalog(merchantFamilyYaml({ maxSegments: 20_000, shards: 1 })).models[0]!;
    const [familyGroup] = planGroups([family]);
    const familyPlans = labelPlans(familyGroup!, labelSchemaWithMerchant);
    const MERCHANTS = 6000;
    const merchantLabels = Array.from({ length: MERCHANTS }, (_, i) => ({ event_id: `e-${i}`, label_time: START + i, is_fraud: i % 4 === 0, merchant_id: `merchant-with-a-longer-name-${i}` }));
    const commit = (): LabelPartial[] => labelCommit(new IngestPartition({ topic: 'labels', partition: 0, partitions: 1, groups: [familyGroup!] }), familyPlans, merchantLabels, 1000);

    it('a commit of thousands of segments is numbered part 0..n-1 of n, with the same range', () => {
      const parts = commit();
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.map((p) => [p.part, p.parts, p.from, p.through])).toEqual(parts.map((_, i) => [i, parts.length, '1000', String(1000 + MERCHANTS)]));
    });

    it('each part counts once; a replay of all the parts, or of any one, counts nothing more', () => {
      const parts = commit();
      const judge = new GroupJudge(familyGroup!, 0);
      judge.addLabels(parts[0]!);
      judge.addLabels(parts[0]!); // the first part twice before the second
      for (const p of parts.slice(1)) judge.addLabels(p);
      expect(counted(judge)).toEqual({ labels: MERCHANTS, positives: MERCHANTS / 4, windowLabels: MERCHANTS });
      for (const p of parts) judge.addLabels(p);
      for (const p of commit()) judge.addLabels(p);
      judge.addLabels(parts[parts.length - 1]!);
      expect(counted(judge)).toEqual({ labels: MERCHANTS, positives: MERCHANTS / 4, windowLabels: MERCHANTS });
      const again = restored(familyGroup!, judge);
      for (const p of parts) again.addLabels(p);
      expect(counted(again).labels).toBe(MERCHANTS);
    });
  });

  describe('PERFORMANCE', () => {
    const performanceModel = testCatalog(
      testModelYaml({ extraTriggers: '      performance: { enabled: true, metric: prAuc, maxDrop: 0.15, minRows: 10, minPositives: 5, window: 5m, sampleRate: 1, maxSampled: 20 }' }).replace(
        'labelMaturity: 1h',
        'labelMaturity: 1m\n      scoreField: model_score',
      ),
    ).models[0]!;
    const [performanceGroup] = planGroups([performanceModel]);
    const performancePlans = labelPlans(performanceGroup!);

    it('sampled positives are not added twice (evicted ones are not brought back by a redelivery)', () => {
      const ingest = new IngestPartition({ topic: 'labels', partition: 0, partitions: 1, groups: [performanceGroup!] });
      const judge = new GroupJudge(performanceGroup!, 0);
      const positives = (n: number, from: number): Label[] => Array.from({ length: n }, (_, i) => ({ event_id: `p-${from + i}`, label_time: START + (from + i) * 1000, is_fraud: true }));
      const first = labelCommit(ingest, performancePlans, positives(15, 0), 0);
      const second = labelCommit(ingest, performancePlans, positives(15, 15), 15);
      for (const p of [...first, ...second]) judge.addLabels(p);
      const before = clone(judge.toJSON().performance!);
      expect(judge.performanceBounds()!.labelsEvicted).toBe(10); // 30 positives, 20 kept
      for (const p of [...first, ...second]) judge.addLabels(p);
      expect(judge.toJSON().performance!.positives).toEqual(before.positives);
      expect(judge.performanceBounds()!.labelsEvicted).toBe(10);
      expect(counted(judge).positives).toBe(30);
    });

    it('a progress-only partial (a heartbeat with no label events since) is still applied after ranged ones', () => {
      const ingest = new IngestPartition({ topic: 'labels', partition: 0, partitions: 1, groups: [performanceGroup!] });
      const judge = new GroupJudge(performanceGroup!, 0);
      for (const p of labelCommit(ingest, performancePlans, labels(5), 0)) judge.addLabels(p);
      expect(judge.toJSON().performance!.labelProgress['0']).toEqual([START + 4000, false]);
      const heartbeat = ingest.drain(true).map(({ partial }) => wire(partial as LabelPartial));
      expect(heartbeat).toHaveLength(1);
      expect(heartbeat[0]).toMatchObject({ segments: [], caughtUp: true });
      expect(heartbeat[0]).not.toHaveProperty('through');
      expect(judge.addLabels(heartbeat[0]!)).toBe('applied');
      expect(judge.toJSON().performance!.labelProgress['0']).toEqual([START + 4000, true]);
    });
  });

  describe('through both stages: the VOLUME request', () => {
    const volumeModel: ModelSpec = testModel({ volume: '{ enabled: true, minNewLabels: 10000 }' });
    const champion: Champion = { version: 1, promotedAt: START, profile: referenceProfile(FEATURES, 20_000), dataWindowEnd: START - 1 };
    const context: JudgeContext = { champion: () => champion, inFlight: () => false, outcome: () => 'PENDING' };

    /** Features on 2 partitions, a label for every 4th event (every 3rd of them fraud) on 1, label partials delivered `times` times over. */
    function run(times: number, restart = false): RetrainRequested[] {
      const groups = planGroups([volumeModel]);
      const group = groups[0]!;
      const featurePlans = new Map<string, GroupFeaturePlan>([[group.id, groupFeaturePlan(group, new Map([[volumeModel.id, compileFeaturePlan(volumeModel, avroType(syntheticFeatureSchema(FEATURES)))]]))!]]);
      const plans = labelPlans(group);
      const features = [0, 1].map((p) => new IngestPartition({ topic: 'features', partition: p, partitions: 2, groups }));
      const labelIngest = new IngestPartition({ topic: 'labels', partition: 0, partitions: 1, groups });
      let judge = new GroupJudge(group, 0);
      const requests: RetrainRequested[] = [];
      const delivered: LabelPartial[] = [];
      let labelOffset = 0;
      const offsets = [0, 0];
      let n = 0;
      for (const event of syntheticStream({ seed: 3, features: FEATURES, start: START, spacingMs: 200 }, 30_000)) {
        const p = Number(event.merchant_id.slice(1)) % 2;
        features[p]!.addFeature(event, Buffer.from(event.merchant_id), String(offsets[p]!++), featurePlans, event.event_time);
        if (n % 4 === 0) labelIngest.addLabel({ event_id: event.event_id, label_time: event.event_time + 1000, is_fraud: n % 12 === 0 }, null, plans, String(labelOffset++));
        n++;
        if (n % 500 !== 0) continue;
        const partials = labelIngest.drain(false).map(({ partial }) => wire(partial as LabelPartial));
        delivered.push(...partials);
        for (let t = 0; t < times; t++) for (const partial of partials) judge.addLabels(clone(partial));
        if (restart && n === 15_000) {
          judge = restored(group, judge);
          // The partials topic read again from the start.
          for (const partial of delivered) judge.addLabels(clone(partial));
        }
        for (const ingest of features) for (const { partial } of ingest.drain(false)) requests.push(...judge.addFeatures(decodePartial(encodePartial(partial)) as never, context).requests);
      }
      for (const ingest of features) for (const { partial } of ingest.drain(true)) requests.push(...judge.addFeatures(decodePartial(encodePartial(partial)) as never, context).requests);
      return requests;
    }

    it('label partials delivered twice, or replayed after a restore, give the same request with the same label counts as once', () => {
      const once = run(1);
      expect(once.map((r) => r.reason)).toEqual(['VOLUME']);
      expect(once[0]!.volume!.newMaturedPositives).toBeGreaterThan(0);
      expect(run(2)).toEqual(once);
      expect(run(1, true)).toEqual(once);
    });
  });
});
