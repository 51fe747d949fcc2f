import { MemoryEventBus } from '../../lib/bus';
import { MemorySchemaRegistry } from '../../lib/codec';
import { silentLogger } from '../../lib/log';
import { Readiness, createServiceMetrics } from '../../lib/metrics';
import { createTriggerApp } from './app';
import { testCatalog, testModelYaml } from './testing/catalog';
import { platformCodec, publishEvents } from './testing/harness';
import { syntheticStream } from './testing/stream';

/**
 * Issue 11, finding 7: plans were cached by writer schema id alone, so the second
 * of two topics sharing a writer schema was read with the first topic's plans
 * (all 40,000 events dead-lettered), and one model that did not fit the schema
 * dead-lettered every event for every model on the topic.
 */
const START = Date.UTC(2026, 0, 1);
const stream = (seed: number) => syntheticStream({ seed, features: 20, start: START, spacingMs: 10, changeAt: 30_000, changed: [2, 4, 8], shift: 0.8 }, 60_000);

describe('trigger: models and writer schemas', () => {
  it('judges two topics that share a writer schema, and disables only the model that does not fit', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 3, autoCreateTopics: false });
    const registry = new MemorySchemaRegistry();
    const misfit = testModelYaml({ id: 'misfit', featureTopic: 'fa', labelTopic: 'la' }).replace('eventIdField: event_id', 'eventIdField: no_such_field');
    const catalog = testCatalog(testModelYaml({ id: 'on-a', featureTopic: 'fa', labelTopic: 'la' }), testModelYaml({ id: 'on-b', featureTopic: 'fb', labelTopic: 'lb' }), misfit);
    await bus.ensureTopics(['fa', 'fb', 'la', 'lb'].map((name) => ({ name, partitions: 3 })));
    const codec = await platformCodec(registry);
    const metrics = createServiceMetrics('trigger');
    const app = createTriggerApp({ bus, codec, catalog, logger: silentLogger(), metrics, instanceId: 't0' });
    await app.start();
    try {
      await publishEvents(bus, registry, 'fa', 20, stream(1), 1000);
      await publishEvents(bus, registry, 'fb', 20, stream(2), 1000);
      const ids = new Set(['fa', 'fb'].map((t) => bus.messages(t)[0]!.value!.readInt32BE(1)));
      expect(ids.size).toBe(1); // one writer schema id for both topics: the case that broke
      await bus.drained();

      const requests = bus.messages(codec.topics.retrainRequests).map((m) => codec.decode('RetrainRequested', m.value));
      expect([...new Set(requests.map((r) => r.modelId))].sort()).toEqual(['on-a', 'on-b']);
      for (const r of requests) expect(r.drift!.features.filter((f) => f.drifted).map((f) => f.feature).sort()).toEqual(['f2', 'f4', 'f8']);
      expect(bus.messages('fa.dlq')).toHaveLength(0);
      expect(bus.messages('fb.dlq')).toHaveLength(0);
      const text = await metrics.registry.metrics();
      expect(text).toContain('roundhouse_trigger_models_disabled{model="misfit",topic="fa",kind="features"} 1');
      expect(text).not.toMatch(/models_disabled\{model="on-/);
      expect(text).toMatch(/roundhouse_trigger_events_consumed_total\{topic="fb",model="on-b"\} 60000/);
    } finally {
      await app.stop();
      await bus.close();
    }
  });
});

describe('trigger: bounded event time', () => {
  it('dead-letters far-future events with the reason, and keeps judging the rest', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 3, autoCreateTopics: false });
    const registry = new MemorySchemaRegistry();
    const catalog = testCatalog(testModelYaml({ id: 'm' }));
    await bus.ensureTopics(['features', 'labels'].map((name) => ({ name, partitions: 3 })));
    const codec = await platformCodec(registry);
    const metrics = createServiceMetrics('trigger');
    const app = createTriggerApp({ bus, codec, catalog, logger: silentLogger(), metrics, instanceId: 't0' });
    await app.start();
    try {
      // Three events whose time is in microseconds (year ~57,000), early in the stream.
      const events = [...stream(3)];
      for (const i of [100, 101, 5_000]) events[i] = { ...events[i]!, event_time: events[i]!.event_time * 1000 };
      await publishEvents(bus, registry, 'features', 20, events, 1000);
      await bus.drained();
      const dead = bus.messages('features.dlq');
      expect(dead).toHaveLength(3);
      for (const d of dead) {
        expect(d.headers['roundhouse.dlq.error-code']).toBe('EVENT_TIME_OUT_OF_RANGE');
        expect(d.headers['roundhouse.dlq.error-message']).toMatch(/ahead of the partition's watermark .* and the record's timestamp/);
      }
      const requests = bus.messages(codec.topics.retrainRequests).map((m) => codec.decode('RetrainRequested', m.value));
      expect(requests.map((r) => r.reason)).toEqual(['DRIFT']);
      expect(requests[0]!.drift!.features.filter((f) => f.drifted).map((f) => f.feature).sort()).toEqual(['f2', 'f4', 'f8']);
      expect(requests[0]!.requestedAt).toBeLessThan(START + 60_000 * 10 * 2);
    } finally {
      await app.stop();
      await bus.close();
    }
  });
});

describe('trigger: a consumer that stops for good', () => {
  it('reports it (onFatal, readiness false) instead of staying up with nothing consumed', async () => {
    // A broker whose max.message.bytes is below the ingest checkpoint: the commit is refused for good.
    const bus = new MemoryEventBus({ defaultPartitions: 3, autoCreateTopics: false, maxMessageBytes: 2_000 });
    const registry = new MemorySchemaRegistry();
    await bus.ensureTopics(['features', 'labels'].map((name) => ({ name, partitions: 3 })));
    const codec = await platformCodec(registry);
    const readiness = new Readiness();
    const fatal: { stage: string; code: unknown }[] = [];
    const app = createTriggerApp({
      bus,
      codec,
      catalog: testCatalog(testModelYaml({ id: 'm' })),
      logger: silentLogger(),
      metrics: createServiceMetrics('trigger'),
      readiness,
      instanceId: 't0',
      onFatal: (stage, error) => fatal.push({ stage, code: (error as { code?: unknown }).code }),
    });
    await app.start();
    try {
      expect(readiness.report().ready).toBe(true);
      await publishEvents(bus, registry, 'features', 20, syntheticStream({ seed: 5, features: 20, start: START, spacingMs: 10 }, 3_000), 10);
      for (let i = 0; i < 2_000 && fatal.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(fatal[0]).toEqual({ stage: 'ingest', code: 'RECORD_TOO_LARGE' });
      expect(readiness.report().ready).toBe(false);
    } finally {
      await app.stop().catch(() => undefined);
      await bus.close();
    }
  });
});
