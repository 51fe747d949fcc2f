import { MemoryEventBus } from '../../lib/bus';
import { AvroCodec, MemorySchemaRegistry } from '../../lib/codec';
import type { RetrainRequested } from '../../lib/events';
import { silentLogger } from '../../lib/log';
import { createServiceMetrics } from '../../lib/metrics';
import { createTriggerApp, type TriggerApp } from './app';
import { decodePartial, encodePartial, type LabelPartial } from './core/partials';
import { merchantFamilyYaml, testCatalog, testModelYaml } from './testing/catalog';
import { championEvent, platformCodec, publishEvents } from './testing/harness';
import { familyStream, referenceProfile, syntheticStream } from './testing/stream';
import { syntheticLabelSchema } from './testing/schema';

const FEATURES = 20;
// Tens of thousands of events per case: seconds of CPU, more on a loaded machine.
jest.setTimeout(120_000);
const START = Date.UTC(2026, 0, 1);

async function scenario(instances: number): Promise<{ requests: RetrainRequested[]; bus: MemoryEventBus; apps: TriggerApp[]; metrics: string }> {
  const bus = new MemoryEventBus({ defaultPartitions: 3, autoCreateTopics: false });
  const registry = new MemorySchemaRegistry();
  const catalog = testCatalog(testModelYaml());
  const model = catalog.models[0]!;
  await bus.ensureTopics([{ name: 'features', partitions: 3 }, { name: 'labels', partitions: 3 }]);
  const codec = await platformCodec(registry);
  await bus.ensureTopics([{ name: codec.topics.modelReady, compacted: true }]);
  await bus.publish([codec.message('ModelReady', championEvent(model, referenceProfile(FEATURES, 20_000), 1, START, START))]);
  const metrics = createServiceMetrics('trigger');
  const apps = Array.from({ length: instances }, (_, i) =>
    createTriggerApp({ bus, codec, catalog, logger: silentLogger(), metrics, instanceId: `t${i}` }),
  );
  for (const app of apps) await app.start();
  await publishEvents(bus, registry, 'features', FEATURES, syntheticStream({ seed: 11, features: FEATURES, start: START, spacingMs: 10, changeAt: 30_000, changed: [2, 4, 8], shift: 0.5 }, 60_000));
  await bus.publish([{ topic: 'features', key: 'poison', value: Buffer.from('not avro'), partition: 1 }]);
  await bus.drained(60_000);
  const requests = bus.messages(codec.topics.retrainRequests).map((m) => codec.decode('RetrainRequested', m.value));
  return { requests, bus, apps, metrics: await metrics.registry.metrics() };
}

describe('trigger app on the in-memory bus', () => {
  it('requests one retrain naming the drifted features, dead-letters poison, and exports its metrics', async () => {
    const { requests, bus, apps, metrics } = await scenario(1);
    try {
      expect(requests).toHaveLength(1);
      expect(requests[0]!.drift!.features.filter((f) => f.drifted).map((f) => f.feature).sort()).toEqual(['f2', 'f4', 'f8']);
      expect(requests[0]!.championVersion).toBe(1);
      const dead = bus.messages('features.dlq');
      expect(dead).toHaveLength(1);
      expect(dead[0]!.headers['roundhouse.dlq.error-code']).toBe('DECODE_MAGIC_BYTE');
      expect(metrics).toMatch(/roundhouse_trigger_retrain_requests_total\{model="synthetic",reason="DRIFT"\} 1/);
      expect(metrics).toMatch(/roundhouse_trigger_events_consumed_total\{topic="features",model="synthetic"\} 60000/);
      expect(metrics).toMatch(/roundhouse_trigger_champion_version\{model="synthetic"\} 1/);
      expect(metrics).toMatch(/roundhouse_trigger_drift_statistic\{model="synthetic",feature="f2"\}/);
      expect(metrics).toMatch(/roundhouse_trigger_decode_failures_total\{topic="features",code="DECODE_MAGIC_BYTE"\} 1/);
    } finally {
      for (const app of apps) await app.stop();
      await bus.close();
    }
  });

  it('two instances in one group make the same requests as one', async () => {
    const one = await scenario(1);
    const two = await scenario(2);
    try {
      expect(two.requests.map((r) => r.requestId)).toEqual(one.requests.map((r) => r.requestId));
      expect(two.requests).toHaveLength(1);
    } finally {
      for (const app of [...one.apps, ...two.apps]) await app.stop();
      await one.bus.close();
      await two.bus.close();
    }
  });
});

describe('trigger app: partitions progressing unevenly', () => {
  it('holds slices for a partition not yet read, checkpoints them in bounded records, survives a restart, and decides as a single pass would', async () => {
    const catalog = testCatalog(testModelYaml());
    const model = catalog.models[0]!;
    const events = [...syntheticStream({ seed: 11, features: FEATURES, start: START, spacingMs: 10, changeAt: 30_000, changed: [2, 4, 8], shift: 0.5 }, 60_000)];
    const partitionOf = (merchant: string): number => Number(merchant.slice(1)) % 3;

    async function run(split: boolean): Promise<{ requests: RetrainRequested[]; largestCheckpoint: number }> {
      const bus = new MemoryEventBus({ defaultPartitions: 3, autoCreateTopics: false });
      const registry = new MemorySchemaRegistry();
      await bus.ensureTopics([{ name: 'features', partitions: 3 }, { name: 'labels', partitions: 3 }]);
      const codec = await platformCodec(registry);
      await bus.ensureTopics([{ name: codec.topics.modelReady, compacted: true }]);
      await bus.publish([codec.message('ModelReady', championEvent(model, referenceProfile(FEATURES, 20_000), 1, START, START))]);
      const writer = await codec.avro.writer<(typeof events)[number]>('features-value', (await import('./testing/schema')).syntheticFeatureSchema(FEATURES));
      // In sends of 1,000: one send is one batch per partition, bounded by max.message.bytes like a broker's.
      const publish = async (filter: (p: number) => boolean): Promise<void> => {
        const messages = events.filter((e) => filter(partitionOf(e.merchant_id))).map((e) => ({ topic: 'features', key: e.merchant_id, value: writer.encode(e), partition: partitionOf(e.merchant_id) }));
        for (let i = 0; i < messages.length; i += 1000) await bus.publish(messages.slice(i, i + 1000));
      };
      const start = async (id: string): Promise<TriggerApp> => {
        // No heartbeat: partition 1 is not known to be empty, so its slices are waited for (an idle one would be ruled out).
        const app = createTriggerApp({ bus, codec, catalog, logger: silentLogger(), metrics: createServiceMetrics('trigger'), instanceId: id, heartbeatMs: 3_600_000 });
        await app.start();
        return app;
      };
      let app = await start('x');
      if (split) {
        await publish((p) => p !== 1);
        await bus.drained(60_000);
        await app.stop();
        app = await start('x'); // a restart while many windows wait for partition 1
        await publish((p) => p === 1);
      } else {
        await publish(() => true);
      }
      await bus.drained(60_000);
      await app.stop();
      const state = bus.messages(codec.topics.triggerState);
      const requests = bus.messages(codec.topics.retrainRequests).map((m) => codec.decode('RetrainRequested', m.value));
      await bus.close();
      return { requests, largestCheckpoint: Math.max(...state.map((m) => m.value?.length ?? 0)) };
    }

    const single = await run(false);
    const uneven = await run(true);
    expect(single.requests).toHaveLength(1);
    expect(uneven.requests.map((r) => r.requestId)).toEqual(single.requests.map((r) => r.requestId));
    expect(uneven.requests[0]!.drift!.features.filter((f) => f.drifted).map((f) => f.feature).sort()).toEqual(['f2', 'f4', 'f8']);
    expect(uneven.largestCheckpoint).toBeLessThan(768 * 1024);
  });
});

describe('trigger app: a family of thousands of merchants', () => {
  it('a restart and a second replica in the middle: requests exactly for the changed merchants, every record under the broker limit', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 3, autoCreateTopics: false });
    const registry = new MemorySchemaRegistry();
    const catalog = testCatalog(merchantFamilyYaml({ maxSegments: 4000, shards: 8 }));
    await bus.ensureTopics([{ name: 'features', partitions: 3 }, { name: 'labels', partitions: 3 }]);
    const codec = await platformCodec(registry);
    const changed = ['m3', 'm7', 'm11', 'm13', 'm17'];
    const events = [...familyStream({ seed: 5, features: 10, start: START, spacingMs: 1, merchants: 2000, big: 20, changed, changeAt: 120_000 }, 240_000)];
    const start = async (id: string): Promise<TriggerApp> => {
      const app = createTriggerApp({ bus, codec, catalog, logger: silentLogger(), metrics: createServiceMetrics('trigger'), instanceId: id });
      await app.start();
      return app;
    };
    const a = await start('a');
    await publishEvents(bus, registry, 'features', 10, events.slice(0, 90_000), 1000);
    await bus.drained(120_000);
    await a.stop(); // a restart: its successor takes over the checkpoints
    const a2 = await start('a');
    await publishEvents(bus, registry, 'features', 10, events.slice(90_000, 160_000), 1000);
    const b = await start('b'); // a second replica joins mid-stream: the groups rebalance
    await publishEvents(bus, registry, 'features', 10, events.slice(160_000), 1000);
    await bus.drained(180_000);
    await a2.stop();
    await b.stop();
    const requests = bus.messages(codec.topics.retrainRequests).map((m) => codec.decode('RetrainRequested', m.value));
    expect(requests.map((r) => r.segment).sort()).toEqual([...changed].sort());
    expect(new Set(requests.map((r) => r.requestId)).size).toBe(requests.length);
    // Both internal topics stayed within max.message.bytes (the memory bus refuses what a broker would).
    const largest = Math.max(...[codec.topics.triggerState, 'roundhouse.trigger-partials'].flatMap((t) => bus.messages(t).map((m) => m.value?.length ?? 0)));
    expect(largest).toBeLessThan(1_048_588);
    expect(bus.messages('features.dlq')).toHaveLength(0);
    await bus.close();
  }, 600_000);
});

describe('trigger app start-up: a family whose label records cannot reach their members', () => {
  const withMerchant = { ...syntheticLabelSchema, fields: [...syntheticLabelSchema.fields, { name: 'merchant_id', type: 'string' }] };

  async function startWith(labelSchema: object | null): Promise<TriggerApp> {
    const bus = new MemoryEventBus({ defaultPartitions: 3, autoCreateTopics: false });
    const registry = new MemorySchemaRegistry();
    await bus.ensureTopics([{ name: 'features', partitions: 3 }, { name: 'labels', partitions: 3 }]);
    if (labelSchema) await registry.register('labels-value', JSON.stringify(labelSchema));
    const app = createTriggerApp({
      bus,
      codec: await platformCodec(registry),
      catalog: testCatalog(merchantFamilyYaml({ maxSegments: 100, shards: 4 }), testModelYaml()),
      logger: silentLogger(),
      metrics: createServiceMetrics('trigger'),
      instanceId: 't0',
    });
    await app.start();
    return app;
  }

  it('is refused at start-up, naming the family, the topic and the missing field', async () => {
    const failure = startWith(syntheticLabelSchema);
    await expect(failure).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(failure).rejects.toThrow(
      'family per-merchant: the label records of labels (latest schema of subject labels-value) have no segment field merchant_id, so no label can reach its member; add merchant_id to the label record',
    );
  });

  it.each([
    ['the label schema has the segment field', withMerchant],
    ['no label schema is registered yet (checked at the first label)', null],
  ])('starts when %s', async (_name, schema) => {
    const app = await startWith(schema);
    await app.stop();
  });
});

describe('trigger app: label partials delivered again', () => {
  it('skips an exact redelivery, counts an overlapping replay twice, and tells the two apart in its metrics', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 3, autoCreateTopics: false });
    const registry = new MemorySchemaRegistry();
    await bus.ensureTopics([{ name: 'features', partitions: 3 }, { name: 'labels', partitions: 3 }]);
    const codec = await platformCodec(registry);
    const metrics = createServiceMetrics('trigger');
    const app = createTriggerApp({ bus, codec, catalog: testCatalog(testModelYaml()), logger: silentLogger(), metrics, instanceId: 't0' });
    const counter = async (name: string): Promise<number | undefined> =>
      (await metrics.registry.getSingleMetric(`roundhouse_trigger_${name}_total`)?.get())?.values.find((v) => v.labels.model === 'synthetic' && v.labels.topic === 'labels')?.value;
    await app.start();
    try {
      const writer = await new AvroCodec(registry).writer<{ event_id: string; label_time: number; is_fraud: boolean }>('labels-value', syntheticLabelSchema);
      await bus.publish(Array.from({ length: 300 }, (_, i) => ({ topic: 'labels', key: `e-${i}`, value: writer.encode({ event_id: `e-${i}`, label_time: START + i, is_fraud: i % 3 === 0 }) })));
      await bus.drained(60_000);
      // Both series exist from the start (increase() in the alerts sees the first one).
      expect(await counter('duplicate_label_partials')).toBe(0);
      expect(await counter('overlapping_label_partials')).toBe(0);
      const labelPartials = bus.messages('roundhouse.trigger-partials').filter((m) => decodePartial(m.value).kind === 'labels');
      expect(labelPartials.length).toBeGreaterThan(0);
      // The last partial of one label partition: once as it was (a zombie's completed commit) ...
      const last = labelPartials[labelPartials.length - 1]!;
      const partial = decodePartial(last.value) as LabelPartial;
      const again = { topic: last.topic, key: last.key, value: last.value, partition: last.partition };
      // ... and once as a replay that began inside the applied range and goes on past it.
      const overlapping = { ...again, value: encodePartial({ ...partial, through: String(BigInt(partial.through!) + 5n) }) };
      await bus.publish([again]);
      await bus.drained(60_000);
      expect(await counter('duplicate_label_partials')).toBe(1);
      expect(await counter('overlapping_label_partials')).toBe(0);
      await bus.publish([overlapping]);
      await bus.drained(60_000);
      expect(await counter('duplicate_label_partials')).toBe(1);
      expect(await counter('overlapping_label_partials')).toBe(1);
      // The overlapping one is now the applied range: delivered once more, it is a plain duplicate.
      await bus.publish([overlapping]);
      await bus.drained(60_000);
      expect(await counter('duplicate_label_partials')).toBe(2);
      expect(await counter('overlapping_label_partials')).toBe(1);
      expect(bus.messages('roundhouse.trigger-partials.dlq')).toEqual([]);
    } finally {
      await app.stop();
      await bus.close();
    }
  });
});
