/**
 * Trigger throughput against plain kafkajs consumption, in one run on one broker.
 *
 *   npx tsx bench/trigger-throughput.ts [--events 400000] [--features 20] [--rounds 2]
 *
 * Uses KAFKA_BROKERS / SCHEMA_REGISTRY_URL when set, otherwise starts the local
 * stack (test/stack) for the duration of the run. One topic (3 partitions) holds
 * the synthetic stream (20 numeric features + 1 categorical, Avro, ~250 bytes).
 * Baseline: a kafkajs consumer group reading the topic with eachBatch and doing
 * nothing per message. Trigger: the whole trigger app (both stages: decode,
 * sketch updates, window partials, checkpoints and offsets in Kafka transactions,
 * judging). Each rate is measured between 10% and 100% of the topic consumed, so
 * group joins and checkpoint loading are left out; rounds alternate the two.
 * Prints events/s for each and the ratio trigger / baseline.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { topicNames } from '../lib/codec';
import { KafkaEventBus, createKafkaClient } from '../lib/kafka';
import { silentLogger } from '../lib/log';
import { createServiceMetrics } from '../lib/metrics';
import { createTriggerApp } from '../services/trigger/app';
import { testCatalog, testModelYaml } from '../services/trigger/testing/catalog';
import { championEvent, platformCodec, publishEvents } from '../services/trigger/testing/harness';
import { referenceProfile, syntheticStream } from '../services/trigger/testing/stream';
import { ConfluentSchemaRegistryClient } from '../lib/codec';
import { startStack } from '../test/stack';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const EVENTS = arg('events', 400_000);
const FEATURES = arg('features', 20);
const ROUNDS = arg('rounds', 2);
const PARTITIONS = 3;
const START = Date.UTC(2026, 0, 1);

async function committedTotal(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((n, p) => n + (p.offset === '-1' ? 0 : Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Rate between 10% and 100% of `total`, from a progress probe polled every 20 ms. */
async function measure(total: number, progress: () => Promise<number> | number): Promise<number> {
  let t10: number | undefined;
  for (;;) {
    const done = await progress();
    const now = performance.now();
    if (t10 === undefined && done >= total * 0.1) t10 = now;
    if (done >= total) return (total * 0.9) / ((now - (t10 ?? now)) / 1000);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function baseline(brokers: string[], topic: string): Promise<number> {
  const kafka = new Kafka({ brokers, clientId: 'bench-baseline', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-baseline-${randomUUID()}` });
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
    },
  });
  try {
    return await measure(EVENTS, () => seen);
  } finally {
    await consumer.disconnect();
  }
}

async function trigger(brokers: string[], registryUrl: string, prefix: string, featureTopic: string): Promise<number> {
  const logger = silentLogger();
  const bus = new KafkaEventBus(createKafkaClient({ brokers, clientId: 'bench-trigger', logger }), { logger, defaultPartitions: PARTITIONS });
  const groupId = `${prefix}bench-trigger-${randomUUID().slice(0, 8)}`;
  const app = createTriggerApp({
    bus,
    codec: await platformCodec(new ConfluentSchemaRegistryClient({ url: registryUrl }), topicNames(prefix)),
    catalog: testCatalog(testModelYaml({ featureTopic, labelTopic: `${prefix}labels`, features: FEATURES })),
    logger,
    metrics: createServiceMetrics('trigger'),
    instanceId: 'bench',
    groupId,
  });
  const kafka = new Kafka({ brokers, clientId: 'bench-probe', logLevel: logLevel.NOTHING });
  await app.start();
  try {
    return await measure(EVENTS, () => committedTotal(kafka, `${groupId}-ingest`, featureTopic));
  } finally {
    await app.stop();
    await bus.close();
  }
}

async function main(): Promise<void> {
  const stack = await startStack();
  try {
    const brokers = stack.env.KAFKA_BROKERS.split(',');
    const registryUrl = stack.env.SCHEMA_REGISTRY_URL;
    const prefix = `bench-${randomUUID().slice(0, 8)}.`;
    const featureTopic = `${prefix}features`;
    const logger = silentLogger();
    const bus = new KafkaEventBus(createKafkaClient({ brokers, clientId: 'bench-producer', logger }), { logger, defaultPartitions: PARTITIONS });
    const registry = new ConfluentSchemaRegistryClient({ url: registryUrl });
    const codec = await platformCodec(registry, topicNames(prefix));
    const model = testCatalog(testModelYaml({ featureTopic, labelTopic: `${prefix}labels`, features: FEATURES })).models[0]!;
    await bus.ensureTopics([{ name: featureTopic, partitions: PARTITIONS }, { name: `${prefix}labels`, partitions: PARTITIONS }, { name: codec.topics.modelReady, compacted: true }]);
    await bus.publish([codec.message('ModelReady', championEvent(model, referenceProfile(FEATURES, 20_000), 1, START, START))]);
    process.stderr.write(`producing ${EVENTS} events…\n`);
    await publishEvents(bus, registry, featureTopic, FEATURES, syntheticStream({ seed: 1, features: FEATURES, start: START, spacingMs: 10 }, EVENTS), 1000);
    await bus.close();

    const results: { baseline: number; trigger: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const b = await baseline(brokers, featureTopic);
      const t = await trigger(brokers, registryUrl, prefix, featureTopic);
      results.push({ baseline: b, trigger: t });
      process.stderr.write(`round ${round + 1}: baseline ${b.toFixed(0)} ev/s, trigger ${t.toFixed(0)} ev/s, ratio ${(t / b).toFixed(3)}\n`);
    }
    const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)]!;
    const b = median(results.map((r) => r.baseline));
    const t = median(results.map((r) => r.trigger));
    const ratios = results.map((r) => (r.trigger / r.baseline).toFixed(3)).join(', ');
    console.log(`| ${new Date().toISOString().slice(0, 10)} | ${EVENTS} events × ${FEATURES + 1} features, ${PARTITIONS} partitions | ${b.toFixed(0)} | ${t.toFixed(0)} | ${(t / b).toFixed(3)} (rounds: ${ratios}) | \`npx tsx bench/trigger-throughput.ts --events ${EVENTS} --rounds ${ROUNDS}\` |`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
