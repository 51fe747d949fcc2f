/**
 * Issue 13 on the real stack (Kafka + schema registry): the PERFORMANCE rule.
 * The serving score carried in the feature events stops separating fraud from
 * the rest at minute 12 while the features keep their distribution; the
 * chargebacks (label topic, partitioned by event id, not like the features)
 * arrive 10 s after their events. The trigger joins the two at its judge and
 * asks for exactly one retrain, PERFORMANCE, naming the metric; the next
 * windows are held back while that request has no outcome.
 */
import { AvroCodec, topicNames, type PlatformCodec } from '../../lib/codec';
import type { RetrainRequested } from '../../lib/events';
import { createLogger, silentLogger } from '../../lib/log';
import { createServiceMetrics } from '../../lib/metrics';
import { computeMetrics } from '../../lib/model';
import { createTriggerApp } from '../../services/trigger/app';
import { requestIdFor } from '../../services/trigger/core/ids';
import { testCatalog, testModelYaml } from '../../services/trigger/testing/catalog';
import { championEvent, platformCodec } from '../../services/trigger/testing/harness';
import { syntheticFeatureSchema, syntheticLabelSchema } from '../../services/trigger/testing/schema';
import { mulberry32, referenceProfile, syntheticStream } from '../../services/trigger/testing/stream';
import { kafkaBus, registryClient, uniqueName, waitFor } from '../helpers';

const FEATURES = 5;
const START = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const SPACING = 20; // 3,000 events a minute
const EVENTS = (20 * MINUTE) / SPACING;
const DEGRADE_AT = (12 * MINUTE) / SPACING;
const PARTITIONS = 3;

type Event = Record<string, string | number> & { event_id: string; event_time: number; merchant_id: string; model_score: number };
type Label = { event_id: string; label_time: number; is_fraud: boolean };

function stream(): { events: Event[]; labels: Label[] } {
  const random = mulberry32(5);
  const events: Event[] = [];
  const labels: Label[] = [];
  for (const e of syntheticStream({ seed: 31, features: FEATURES, start: START, spacingMs: SPACING }, EVENTS)) {
    const fraud = random() < 0.02;
    const score = events.length < DEGRADE_AT ? (fraud ? 0.3 + 0.6 * random() : 0.5 * random()) : 0.55 * random();
    events.push({ ...e, model_score: score } as Event);
    if (fraud) labels.push({ event_id: e.event_id, label_time: e.event_time + 10_000, is_fraud: true });
    else if (random() < 0.01) labels.push({ event_id: e.event_id, label_time: e.event_time + 5_000, is_fraud: false });
  }
  return { events, labels: labels.sort((a, b) => a.label_time - b.label_time) };
}

async function requestsOn(codec: PlatformCodec): Promise<RetrainRequested[]> {
  const bus = kafkaBus();
  try {
    const topic = codec.topics.retrainRequests;
    const ends = await bus.endOffsets(topic);
    const out: RetrainRequested[] = [];
    await bus.readRange(topic, [...ends].map(([partition, end]) => ({ partition, startOffset: '0', endOffset: end })), async (messages) => {
      for (const m of messages) out.push(codec.decode('RetrainRequested', m.value));
    });
    return out.sort((a, b) => a.requestedAt - b.requestedAt);
  } finally {
    await bus.close();
  }
}

async function consumedToEnd(groupId: string, topic: string, transactional: boolean): Promise<boolean> {
  const bus = kafkaBus();
  try {
    const [ends, done] = await Promise.all([bus.endOffsets(topic), bus.committedOffsets(groupId, topic)]);
    return [...ends].every(([p, end]) => BigInt(end) === 0n || BigInt(done.get(p) ?? '0') >= BigInt(end) - (transactional ? 1n : 0n));
  } finally {
    await bus.close();
  }
}

describe('trigger on the real stack: the PERFORMANCE rule', () => {
  it('a serving score that degrades while the features stay stable → exactly one PERFORMANCE request naming the metric', async () => {
    const prefix = `${uniqueName('trg-perf')}.`;
    const featureTopic = `${prefix}features`;
    const labelTopic = `${prefix}labels`;
    const yaml = testModelYaml({
      featureTopic,
      labelTopic,
      cooldown: '1m',
      extraTriggers: '      performance: { enabled: true, metric: prAuc, maxDrop: 0.15, minRows: 1000, minPositives: 20, window: 5m, sampleRate: 0.5, maxSampled: 50000 }',
    }).replace('labelMaturity: 1h', 'labelMaturity: 1m\n      scoreField: model_score');
    const catalog = testCatalog(yaml);
    const model = catalog.models[0]!;
    const { events, labels } = stream();
    const fraud = new Set(labels.filter((l) => l.is_fraud).map((l) => l.event_id));
    const good = events.slice(0, DEGRADE_AT);
    const baseline = computeMetrics(good.map((e) => (fraud.has(e.event_id) ? 1 : 0)), good.map((e) => e.model_score)).prAuc!;
    const codec = await platformCodec(registryClient(), topicNames(prefix));
    const setup = kafkaBus(PARTITIONS);
    try {
      await setup.ensureTopics([
        { name: featureTopic, partitions: PARTITIONS },
        { name: labelTopic, partitions: PARTITIONS },
        { name: codec.topics.modelReady, compacted: true },
        { name: codec.topics.retrainRequests },
        { name: codec.topics.trainingRuns },
        { name: codec.topics.evaluations },
      ]);
      const champion = championEvent(model, referenceProfile(FEATURES, 20_000), 1, START, START);
      await setup.publish([codec.message('ModelReady', { ...champion, metrics: { ...champion.metrics, prAuc: baseline } })]);
      const avro = new AvroCodec(registryClient());
      const featureSchema = syntheticFeatureSchema(FEATURES);
      const featureWriter = await avro.writer<Event>(`${featureTopic}-value`, { ...featureSchema, fields: [...featureSchema.fields, { name: 'model_score', type: 'double' }] });
      const labelWriter = await avro.writer<Label>(`${labelTopic}-value`, syntheticLabelSchema);
      // Labels keyed by event id (spread over every label partition), features by merchant.
      await setup.publish(labels.map((l) => ({ topic: labelTopic, key: l.event_id, value: labelWriter.encode(l) })));
      for (let i = 0; i < events.length; i += 2000) {
        await setup.publish(events.slice(i, i + 2000).map((e) => ({ topic: featureTopic, key: e.merchant_id, value: featureWriter.encode(e) })));
      }
    } finally {
      await setup.close();
    }

    const bus = kafkaBus(PARTITIONS);
    const metrics = createServiceMetrics('trigger');
    const group = `${prefix}roundhouse-trigger`;
    const app = createTriggerApp({
      bus,
      codec,
      catalog,
      logger: process.env.TRIGGER_TEST_LOG ? createLogger({ level: 'debug', service: 'trigger-performance' }) : silentLogger(),
      metrics,
      instanceId: 'a',
      groupId: group,
      heartbeatMs: 1_000,
    });
    await app.start();
    try {
      await waitFor(async () => ((await requestsOn(codec)).length > 0 ? true : undefined), 'the PERFORMANCE request', 300_000);
      await waitFor(async () => (await consumedToEnd(`${group}-ingest`, featureTopic, false)) || undefined, 'the ingest stage to consume every feature event', 300_000);
      await waitFor(async () => (await consumedToEnd(`${group}-ingest`, labelTopic, false)) || undefined, 'the ingest stage to consume every label', 300_000);
      await waitFor(async () => (await consumedToEnd(`${group}-judge`, `${prefix}roundhouse.trigger-partials`, true)) || undefined, 'the judge stage to consume every partial', 300_000);

      const requests = await requestsOn(codec);
      expect(requests.map((r) => [r.reason, r.requestId])).toEqual([['PERFORMANCE', requestIdFor(model.id, 'PERFORMANCE', 'p1')]]);
      const p = requests[0]!.performance!;
      expect(p).toMatchObject({ metric: 'prAuc', baseline, maxDrop: 0.15, sampleRate: 0.5 });
      expect(p.observed).toBeLessThan(baseline - 0.15);
      expect(p.labelledRows).toBeGreaterThanOrEqual(1000);
      expect(p.positives!).toBeGreaterThanOrEqual(20);
      expect(p.windowEnd).toBe(requests[0]!.requestedAt - MINUTE);
      expect(p.windowEnd!).toBeGreaterThan(START + 12 * MINUTE);
      expect(requests[0]!.drift).toBeNull();
      const counted = (await metrics.registry.getSingleMetric('roundhouse_trigger_retrain_requests_total')?.get())?.values.find((v) => v.labels.reason === 'PERFORMANCE')?.value;
      expect(counted).toBe(1);
    } finally {
      await app.stop();
      await bus.close();
    }
  }, 900_000);
});
