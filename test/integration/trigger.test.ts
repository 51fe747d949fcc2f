import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AvroCodec, topicNames, type PlatformCodec } from '../../lib/codec';
import type { RetrainRequested } from '../../lib/events';
import { createLogger, silentLogger } from '../../lib/log';
import { createServiceMetrics } from '../../lib/metrics';
import { createTriggerApp, type TriggerApp } from '../../services/trigger/app';
import { testCatalog, testCatalogYaml, testModelYaml } from '../../services/trigger/testing/catalog';
import { championEvent, platformCodec, publishEvents } from '../../services/trigger/testing/harness';
import { syntheticLabelSchema } from '../../services/trigger/testing/schema';
import { referenceProfile, syntheticStream, type StreamOptions } from '../../services/trigger/testing/stream';
import { DLQ_HEADERS } from '../../lib/bus/dlq';
import type { InboundMessage, OutboundMessage } from '../../lib/bus';
import { kafkaBus, rawKafka, registryClient, stackEnv, uniqueName, waitFor } from '../helpers';

/** Every record of a topic (headers as strings), read by a throwaway consumer group up to the end offsets. */
async function readTopic(topic: string): Promise<{ headers: Record<string, string> }[]> {
  const bus = kafkaBus();
  try {
    const ends = await bus.endOffsets(topic);
    const out: { headers: Record<string, string> }[] = [];
    await bus.readRange(topic, [...ends].map(([partition, end]) => ({ partition, startOffset: '0', endOffset: end })), async (messages) => {
      for (const m of messages) out.push({ headers: { ...m.headers } });
    });
    return out;
  } finally {
    await bus.close();
  }
}

const FEATURES = 20;
const START = Date.UTC(2026, 0, 1);
const PARTITIONS = 3;
const PROFILE = referenceProfile(FEATURES, 20_000);

interface Deployment {
  readonly prefix: string;
  readonly featureTopic: string;
  readonly labelTopic: string;
  readonly catalogYaml: string;
  readonly codec: PlatformCodec;
}

/** Topics, catalog and champion of one isolated trigger deployment (its own topic prefix). */
async function deploy(name: string, stream: StreamOptions, count: number): Promise<Deployment> {
  const prefix = `${uniqueName(name)}.`;
  const featureTopic = `${prefix}features`;
  const labelTopic = `${prefix}labels`;
  const catalogYaml = testCatalogYaml(testModelYaml({ featureTopic, labelTopic }));
  const model = testCatalog(testModelYaml({ featureTopic, labelTopic })).models[0]!;
  const bus = kafkaBus(PARTITIONS);
  try {
    const codec = await platformCodec(registryClient(), topicNames(prefix));
    await bus.ensureTopics([
      { name: featureTopic, partitions: PARTITIONS },
      { name: labelTopic, partitions: PARTITIONS },
      { name: codec.topics.modelReady, compacted: true },
      { name: codec.topics.retrainRequests },
    ]);
    await bus.publish([codec.message('ModelReady', championEvent(model, PROFILE, 1, START, START))]);
    await publishEvents(bus, registryClient(), featureTopic, FEATURES, syntheticStream(stream, count), 1000);
    return { prefix, featureTopic, labelTopic, catalogYaml, codec };
  } finally {
    await bus.close();
  }
}

/** A trigger on a bus of its own, which its stop() closes (an open bus kept jest from exiting). */
function withOwnBus(bus: ReturnType<typeof kafkaBus>, app: TriggerApp): TriggerApp {
  return {
    ...app,
    async stop() {
      await app.stop();
      await bus.close();
    },
  };
}

function inProcessTrigger(d: Deployment, instanceId: string): TriggerApp {
  const bus = kafkaBus(PARTITIONS);
  return withOwnBus(bus, createTriggerApp({
    bus,
    codec: d.codec,
    catalog: testCatalog(testModelYaml({ featureTopic: d.featureTopic, labelTopic: d.labelTopic })),
    // TRIGGER_TEST_LOG=1 shows the trigger's warnings while debugging a run.
    logger: process.env.TRIGGER_TEST_LOG ? createLogger({ level: 'warn', service: `trigger-${instanceId}` }) : silentLogger(),
    metrics: createServiceMetrics('trigger'),
    instanceId,
    groupId: `${d.prefix}roundhouse-trigger`,
  }));
}

function childTrigger(d: Deployment, dir: string): ChildProcess {
  const catalogPath = join(dir, `${d.prefix}catalog.yaml`);
  writeFileSync(catalogPath, d.catalogYaml);
  const { brokers, registryUrl } = stackEnv();
  return spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'services', 'trigger', 'main.ts')], {
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      ROUNDHOUSE_CATALOG: catalogPath,
      ROUNDHOUSE_TOPIC_PREFIX: d.prefix,
      ROUNDHOUSE_INSTANCE_ID: 'trigger-0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Committed offsets of a group on a topic, per partition (0 when none). */
async function committedByPartition(groupId: string, topic: string): Promise<Map<number, bigint>> {
  const admin = rawKafka().admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, p.offset === '-1' ? 0n : BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

async function committed(groupId: string, topic: string): Promise<bigint> {
  return [...(await committedByPartition(groupId, topic)).values()].reduce((a, b) => a + b, 0n);
}

async function endOffsetsByPartition(topic: string): Promise<Map<number, bigint>> {
  const bus = kafkaBus();
  try {
    return new Map([...(await bus.endOffsets(topic))].map(([p, o]) => [p, BigInt(o)]));
  } finally {
    await bus.close();
  }
}

/**
 * Whether a group has consumed a topic to its end. On a topic written in
 * transactions the end may sit one past the last record (the commit marker),
 * which a consumer commits past only when the marker came in the same fetch.
 */
async function consumedToEnd(groupId: string, topic: string, transactional: boolean): Promise<boolean> {
  const ends = await endOffsetsByPartition(topic);
  const done = await committedByPartition(groupId, topic);
  return [...ends].every(([p, end]) => end === 0n || (done.get(p) ?? 0n) >= end - (transactional ? 1n : 0n));
}

/** Wait until both stages have committed everything there is, then read the requests. */
async function settledRequests(d: Deployment, timeoutMs: number): Promise<RetrainRequested[]> {
  const group = `${d.prefix}roundhouse-trigger`;
  const partials = `${d.prefix}roundhouse.trigger-partials`;
  await waitFor(async () => (await consumedToEnd(`${group}-ingest`, d.featureTopic, false)) || undefined, 'the ingest stage to consume every event', timeoutMs);
  await waitFor(async () => (await consumedToEnd(`${group}-judge`, partials, true)) || undefined, 'the judge stage to consume every partial', timeoutMs);
  const requests: RetrainRequested[] = [];
  const readerGroup = uniqueName('requests-reader');
  const consumer = rawKafka().consumer({ groupId: readerGroup });
  await consumer.connect();
  await consumer.subscribe({ topic: d.codec.topics.retrainRequests, fromBeginning: true });
  // kafkajs' auto-commit also moves past batches made only of transaction markers,
  // so "the reader's committed offset reached the end" means "everything was read".
  await consumer.run({
    // Commit after every message: interval commits only happen when a later batch arrives.
    autoCommitThreshold: 1,
    eachMessage: async ({ message }) => {
      requests.push(d.codec.decode('RetrainRequested', message.value));
    },
  });
  try {
    await waitFor(async () => (await consumedToEnd(readerGroup, d.codec.topics.retrainRequests, true)) || undefined, 'every request to be read', 60_000);
  } finally {
    await consumer.disconnect();
  }
  return requests.sort((a, b) => a.requestId.localeCompare(b.requestId));
}

const ids = (requests: readonly RetrainRequested[]): string[] => requests.map((r) => r.requestId);

/** Requests with the deployment's own topic names blanked, to compare deployments. */
/**
 * What a replay must reproduce: everything but the topic names and emittedAt,
 * the wall-clock time of publication (docs/catalog.md, "Clocks": it times the
 * loop's latency and is not part of the decision).
 */
const comparable = (requests: readonly RetrainRequested[]): unknown =>
  requests.map((request) => {
    expect(typeof request.emittedAt).toBe('number');
    const { emittedAt: _wallClock, ...decision } = request;
    return JSON.parse(JSON.stringify(decision).replace(/"topic":"[^"]*"/g, '"topic":"(topic)"')) as unknown;
  });

describe('trigger on the real stack', () => {
  it('partitions loaded 60/30/10, one idle, a far-future event: the drift within two windows, only the bad event dead-lettered', async () => {
    // The broker runs with its default max.message.bytes (1 MiB): every record the trigger writes must fit.
    const prefix = `${uniqueName('trg-skew')}.`;
    const featureTopic = `${prefix}features`;
    const labelTopic = `${prefix}labels`;
    const catalog = testCatalog(testModelYaml({ featureTopic, labelTopic }));
    const bus = kafkaBus(4);
    const codec = await platformCodec(registryClient(), topicNames(prefix));
    const far = START + 50 * 365 * 86_400_000;
    const skewed = (_e: unknown, n: number): number => {
      const r = (n * 2654435761) % 100;
      return r < 60 ? 0 : r < 90 ? 1 : 2; // partition 3 gets nothing
    };
    const changeAt = 60_000;
    const events = (function* () {
      let n = 0;
      for (const e of syntheticStream({ ...changeStream, changeAt }, 120_000)) yield n++ === 30_000 ? { ...e, event_time: far } : e;
    })();
    try {
      await bus.ensureTopics([
        { name: featureTopic, partitions: 4 },
        { name: labelTopic, partitions: 4 },
        { name: codec.topics.modelReady, compacted: true },
        { name: codec.topics.retrainRequests },
      ]);
      await bus.publish([codec.message('ModelReady', championEvent(catalog.models[0]!, PROFILE, 1, START, START))]);
      await publishEvents(bus, registryClient(), featureTopic, FEATURES, events, 1000, skewed);
    } finally {
      await bus.close();
    }
    const d: Deployment = { prefix, featureTopic, labelTopic, catalogYaml: testCatalogYaml(testModelYaml({ featureTopic, labelTopic })), codec };
    const ownBus = kafkaBus(4);
    const app = withOwnBus(ownBus, createTriggerApp({
      bus: ownBus,
      codec,
      catalog,
      logger: process.env.TRIGGER_TEST_LOG ? createLogger({ level: 'warn', service: 'trigger-skew' }) : silentLogger(),
      metrics: createServiceMetrics('trigger'),
      instanceId: 'a',
      groupId: `${prefix}roundhouse-trigger`,
      heartbeatMs: 1_000,
    }));
    await app.start();
    try {
      const requests = await settledRequests(d, 300_000);
      expect(requests).toHaveLength(1);
      const changeTime = START + changeAt * 10;
      expect(requests[0]!.drift!.windowEnd - changeTime).toBeLessThanOrEqual(2 * 60_000);
      expect(requests[0]!.drift!.features.filter((f) => f.drifted).map((f) => f.feature).sort()).toEqual(['f14', 'f3', 'f9']);
      // The dead-letter topic holds the far-future event and nothing else.
      const dead = await readTopic(`${featureTopic}.dlq`);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.headers[DLQ_HEADERS.errorCode]).toBe('EVENT_TIME_OUT_OF_RANGE');
      expect(dead[0]!.headers[DLQ_HEADERS.errorMessage]).toContain('ahead of the partition');
    } finally {
      await app.stop();
    }
  }, 900_000);

  const changeStream: StreamOptions = { seed: 21, features: FEATURES, start: START, spacingMs: 10, changeAt: 60_000, changed: [3, 9, 14], shift: 0.5 };

  it('a change point on 3 of 20 features gives exactly one request naming them, within two windows', async () => {
    const d = await deploy('trg-change', changeStream, 120_000);
    const app = inProcessTrigger(d, 'a');
    await app.start();
    try {
      const requests = await settledRequests(d, 180_000);
      expect(requests).toHaveLength(1);
      const request = requests[0]!;
      expect(request.reason).toBe('DRIFT');
      expect(request.drift!.features.filter((f) => f.drifted).map((f) => f.feature).sort()).toEqual(['f14', 'f3', 'f9']);
      const changeTime = START + 60_000 * 10;
      expect(request.drift!.windowStart).toBeGreaterThanOrEqual(changeTime);
      expect(request.drift!.windowEnd - changeTime).toBeLessThanOrEqual(2 * 60_000);
    } finally {
      await app.stop();
    }
  }, 600_000);

  it('a stationary stream of 1M events gives no request', async () => {
    const d = await deploy('trg-stationary', { seed: 5, features: FEATURES, start: START, spacingMs: 10 }, 1_000_000);
    const app = inProcessTrigger(d, 'a');
    await app.start();
    try {
      expect(await settledRequests(d, 1_500_000)).toEqual([]);
    } finally {
      await app.stop();
    }
  }, 1_800_000);

  let uninterrupted: Promise<RetrainRequested[]> | undefined;
  /** The requests of one uninterrupted in-process run over the change stream (shared by the next two tests). */
  function expectedRequests(): Promise<RetrainRequested[]> {
    uninterrupted ??= (async () => {
      const reference = await deploy('trg-ref', changeStream, 120_000);
      const single = inProcessTrigger(reference, 'a');
      await single.start();
      try {
        return await settledRequests(reference, 240_000);
      } finally {
        await single.stop();
      }
    })();
    return uninterrupted;
  }

  it('SIGKILL mid-stream and a restart give the same requests as an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roundhouse-trigger-'));
    const [expected, killed] = await Promise.all([expectedRequests(), deploy('trg-kill', changeStream, 120_000)]);
    expect(expected).toHaveLength(1);

    let child = childTrigger(killed, dir);
    const group = `${killed.prefix}roundhouse-trigger`;
    // Kill it once it is part-way through the input.
    await waitFor(async () => ((await committed(`${group}-ingest`, killed.featureTopic)) > 20_000n ? true : undefined), 'the first trigger to make progress', 120_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const before = await committed(`${group}-ingest`, killed.featureTopic);
    expect(before).toBeLessThan(120_000n);
    child = childTrigger(killed, dir);
    try {
      const afterRestart = await settledRequests(killed, 300_000);
      expect(ids(afterRestart)).toEqual(ids(expected));
      // Same decisions, same evidence (statistics, windows, offsets) — only the topic names differ.
      expect(comparable(afterRestart)).toEqual(comparable(expected));
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 900_000);

  it('two instances in one group give the same requests as one', async () => {
    const [expected, pair] = await Promise.all([expectedRequests(), deploy('trg-pair', changeStream, 120_000)]);
    const a = inProcessTrigger(pair, 'a');
    const b = inProcessTrigger(pair, 'b');
    await Promise.all([a.start(), b.start()]);
    try {
      const together = await settledRequests(pair, 300_000);
      expect(ids(together)).toEqual(ids(expected));
      expect(comparable(together)).toEqual(comparable(expected));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 900_000);
  it('label partials produced twice onto the partials topic count once: the VOLUME request names the positives as for one delivery', async () => {
    const prefix = `${uniqueName('trg-dup-labels')}.`;
    const featureTopic = `${prefix}features`;
    const labelTopic = `${prefix}labels`;
    const partialsTopic = `${prefix}roundhouse.trigger-partials`;
    const yaml = testModelYaml({ featureTopic, labelTopic, volume: '{ enabled: true, minNewLabels: 10000 }' });
    const catalog = testCatalog(yaml);
    const model = catalog.models[0]!;
    const codec = await platformCodec(registryClient(), topicNames(prefix));
    const stream = { seed: 3, features: FEATURES, start: START, spacingMs: 200 };
    const EVENTS = 30_000;
    // A label for every 4th event, a second after it; every 3rd of them fraud.
    type Label = { event_id: string; label_time: number; is_fraud: boolean };
    const labels: Label[] = [];
    let n = 0;
    for (const e of syntheticStream(stream, EVENTS)) {
      if (n % 4 === 0) labels.push({ event_id: e.event_id, label_time: e.event_time + 1000, is_fraud: n % 12 === 0 });
      n++;
    }
    const positives = labels.filter((l) => l.is_fraud).length;
    const setup = kafkaBus(PARTITIONS);
    try {
      await setup.ensureTopics([
        { name: featureTopic, partitions: PARTITIONS },
        { name: labelTopic, partitions: PARTITIONS },
        { name: codec.topics.modelReady, compacted: true },
        { name: codec.topics.retrainRequests },
      ]);
      await setup.publish([codec.message('ModelReady', championEvent(model, PROFILE, 1, START, START - 1))]);
      const labelWriter = await new AvroCodec(registryClient()).writer<Label>(`${labelTopic}-value`, syntheticLabelSchema);
      await setup.publish(labels.map((l) => ({ topic: labelTopic, key: l.event_id, value: labelWriter.encode(l) })));
    } finally {
      await setup.close();
    }
    const d: Deployment = { prefix, featureTopic, labelTopic, catalogYaml: testCatalogYaml(yaml), codec };
    const group = `${prefix}roundhouse-trigger`;
    const trigger = (instanceId: string) => {
      const bus = kafkaBus(PARTITIONS);
      const metrics = createServiceMetrics('trigger');
      const app = withOwnBus(bus, createTriggerApp({
        bus,
        codec,
        catalog,
        logger: process.env.TRIGGER_TEST_LOG ? createLogger({ level: 'debug', service: `trigger-${instanceId}` }) : silentLogger(),
        metrics,
        instanceId,
        groupId: group,
        heartbeatMs: 1_000,
      }));
      return { app, metrics };
    };

    // 1. The labels only: both stages read them, the judge applies their partials (no window closes without features).
    const first = trigger('a');
    await first.app.start();
    try {
      await waitFor(async () => (await consumedToEnd(`${group}-ingest`, labelTopic, false)) || undefined, 'the ingest stage to consume every label', 180_000);
      await waitFor(async () => (await consumedToEnd(`${group}-judge`, partialsTopic, true)) || undefined, 'the judge stage to consume every partial', 180_000);
    } finally {
      await first.app.stop();
    }

    // 2. Every label partial record produced once more (same key, same partition), as a zombie's completed commit or a replay would.
    const bus = kafkaBus(PARTITIONS);
    let duplicated: OutboundMessage[] = [];
    try {
      const ends = await bus.endOffsets(partialsTopic);
      const records: InboundMessage[] = [];
      await bus.readRange(partialsTopic, [...ends].map(([partition, end]) => ({ partition, startOffset: '0', endOffset: end })), async (messages) => {
        records.push(...messages);
      });
      duplicated = records
        .filter((m) => m.value !== null && (JSON.parse(m.value.toString()) as { kind: string }).kind === 'labels')
        .map((m) => ({ topic: partialsTopic, key: m.key, value: m.value, partition: m.partition }));
      expect(duplicated.length).toBeGreaterThanOrEqual(PARTITIONS);
      await bus.publish(duplicated);
      // 3. Then the features: the VOLUME rule fires once their events have matured (labelMaturity 1 h).
      await publishEvents(bus, registryClient(), featureTopic, FEATURES, syntheticStream(stream, EVENTS), 1000);
    } finally {
      await bus.close();
    }
    const second = trigger('b');
    await second.app.start();
    try {
      const requests = await settledRequests(d, 300_000);
      expect(requests.map((r) => r.reason)).toEqual(['VOLUME']);
      expect(requests[0]!.volume!.newMaturedPositives).toBe(positives);
      const skipped = (await second.metrics.registry.getSingleMetric('roundhouse_trigger_duplicate_label_partials_total')?.get())?.values.find((v) => v.labels.model === model.id && v.labels.topic === labelTopic)?.value;
      expect(skipped).toBe(duplicated.length);
    } finally {
      await second.app.stop();
    }
  }, 900_000);
});
