/**
 * Trigger throughput against plain kafkajs consumption, in one run on one broker.
 *
 *   npx tsx bench/trigger-throughput.ts [--events 300000] [--features 20] [--rounds 3] [--models 1] [--family 0] [--profile] [--profile-out f.cpuprofile]
 *
 * `--models N`: N global models on the topic (they share one sketch: the cost
 * per event should not grow with N). `--family M`: instead, one family over M
 * merchants × 10 features (20 big merchants carry half the traffic), 16 shards.
 *
 * Uses KAFKA_BROKERS / SCHEMA_REGISTRY_URL when set, otherwise starts the local
 * stack (test/stack) for the duration of the run. Every round gets fresh state:
 * a new topic prefix, so a new feature topic (3 partitions, the synthetic stream:
 * 20 numeric features + 1 categorical, Avro, ~250 bytes), a new champion on a
 * new model-ready topic, new trigger state and partials topics, new groups.
 *
 * The span, the same for both sides: from the call that starts the consumer
 * (kafkajs `run`, trigger `start`) until its work is durable — for the baseline,
 * its group has committed the end of the feature topic (kafkajs eachBatch,
 * nothing done per message, offsets committed after each batch); for the
 * trigger, the ingest group has committed the end of the feature topic AND the
 * judge group has committed the end of the partials topic (every window judged).
 * Group joins, checkpoint loads and the champion catch-up are inside the span.
 * One probe measures both: lib/bus groupsCaughtUp over one KafkaEventBus (one
 * admin client, connected before the spans),
 * polling committed and end offsets every 25 ms. A third side, the decode-only
 * consumer (the baseline plus the Avro decode of every value with the
 * trigger's codec), is timed the same way between the other two: the floor of
 * any consumer that reads the features. Round order alternates
 * (baseline first on odd rounds) and round 1 is the cold one; all rounds print,
 * each with the CPU seconds this process spent in either side's span.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { groupsCaughtUp, type ConsumerGroupTopics, type EventBus } from '../lib/bus';
import { KafkaEventBus, createKafkaClient } from '../lib/kafka';
import { silentLogger } from '../lib/log';
import { createServiceMetrics } from '../lib/metrics';
import { createTriggerApp } from '../services/trigger/app';
import { merchantFamilyYaml, testCatalog, testModelYaml } from '../services/trigger/testing/catalog';
import { championEvent, platformCodec, publishEvents } from '../services/trigger/testing/harness';
import { familyStream, referenceProfile, syntheticStream } from '../services/trigger/testing/stream';
import { ConfluentSchemaRegistryClient, topicNames } from '../lib/codec';
import type { PlatformCodec } from '../lib/codec';
import { formatSelfTimes, profiled } from './profile';
import { numberArg, startBenchStack } from './stack';

const arg = numberArg;

/** The catalog of a round: `MODELS` global models, or one family of `FAMILY` merchants. */
function catalogYaml(featureTopic: string, labelTopic: string): string[] {
  if (FAMILY > 0) {
    return [merchantFamilyYaml({ maxSegments: FAMILY * 2, shards: 16, featureTopic, labelTopic })];
  }
  return Array.from({ length: MODELS }, (_, i) => testModelYaml({ id: MODELS === 1 ? 'synthetic' : `m${i}`, featureTopic, labelTopic, features: FEATURES }));
}

const EVENTS = arg('events', 300_000);
const FEATURES = arg('features', 20);
const ROUNDS = arg('rounds', 3);
const MODELS = arg('models', 1);
const FAMILY = arg('family', 0);
/** `--profile`: the V8 CPU profile of every trigger span, its top functions by self time printed (the profiler costs time: not for the table). */
const PROFILE = process.argv.includes('--profile') || process.argv.includes('--profile-out');
/** `--profile-out FILE`: also write the last trigger span's profile there (Chrome DevTools, speedscope: callers and call trees). */
const PROFILE_OUT = process.argv.includes('--profile-out') ? process.argv[process.argv.indexOf('--profile-out') + 1] : undefined;
const PARTITIONS = 3;
const START = Date.UTC(2026, 0, 1);
const POLL_MS = 25;

/** Seconds from `begin()` until the probe says the groups are done. */
/** CPU seconds (user + system) of this process during the last span of each side. */
const cpu = { baseline: 0, decode: 0, trigger: 0 };

/** When each group of the last span caught up, in seconds from its start. */
const stages = new Map<string, number>();

/** Seconds from `begin()` until the probe says the groups are done; the process's CPU seconds in that span go to cpu[side]. */
async function span(side: keyof typeof cpu, probe: EventBus, begin: () => Promise<void>, groups: () => readonly ConsumerGroupTopics[]): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await begin();
  // Per group, the poll from which it stayed caught up: where the span goes.
  stages.clear();
  for (;;) {
    let all = true;
    for (const group of groups()) {
      if (await groupsCaughtUp(probe, [group])) {
        if (!stages.has(group.groupId)) stages.set(group.groupId, (performance.now() - t0) / 1000);
      } else {
        stages.delete(group.groupId);
        all = false;
      }
    }
    if (all) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(c0);
  cpu[side] = (used.user + used.system) / 1e6;
  return seconds;
}

/**
 * The plain kafkajs consumer; with `decoder`, the decode-only consumer: the
 * same, plus the Avro decode of every value with the trigger's own codec (its
 * writer schemas fetched per batch, as the trigger does) — the least any
 * consumer that reads the features does, a floor the trigger cannot beat
 * without more cores.
 */
async function baseline(brokers: string[], probe: EventBus, topic: string, decoder?: PlatformCodec): Promise<number> {
  const kafka = new Kafka({ brokers, clientId: decoder ? 'bench-decode' : 'bench-baseline', logLevel: logLevel.NOTHING });
  const groupId = `bench-${decoder ? 'decode' : 'baseline'}-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    const seconds = await span(
      decoder ? 'decode' : 'baseline',
      probe,
      () =>
        consumer.run({
          // kafkajs commits nothing on its own unless an interval or threshold is
          // set: commit after every batch, like a consumer that commits after its effect.
          autoCommitThreshold: 1,
          eachBatch: async ({ batch }) => {
            if (decoder) {
              const values = batch.messages.map((m) => m.value);
              await decoder.avro.prepare(values);
              for (const value of values) decoder.avro.decodeGeneric(value);
            }
            seen += batch.messages.length;
          },
        }),
      () => [{ groupId, topics: [topic] }],
    );
    if (seen < EVENTS) throw new Error(`${decoder ? 'decode-only' : 'baseline'} consumer saw ${seen} of ${EVENTS} events`);
    return EVENTS / seconds;
  } finally {
    await consumer.disconnect();
  }
}

async function trigger(brokers: string[], registryUrl: string, probe: EventBus, prefix: string, featureTopic: string): Promise<number> {
  const logger = silentLogger();
  const bus = new KafkaEventBus(createKafkaClient({ brokers, clientId: 'bench-trigger', logger }), { logger, defaultPartitions: PARTITIONS });
  const metrics = createServiceMetrics('trigger');
  const app = createTriggerApp({
    bus,
    codec: await platformCodec(new ConfluentSchemaRegistryClient({ url: registryUrl }), topicNames(prefix)),
    catalog: testCatalog(...catalogYaml(featureTopic, `${prefix}labels`)),
    logger,
    metrics,
    instanceId: 'bench',
    groupId: `${prefix}bench-trigger`,
  });
  try {
    const run = (): Promise<number> => span('trigger', probe, () => app.start(), () => app.consumerGroups());
    let seconds: number;
    if (PROFILE) {
      const { result, profile } = await profiled(run);
      seconds = result;
      process.stderr.write(`trigger span, self time (this process):\n${formatSelfTimes(profile, 30)}\n`);
      if (PROFILE_OUT) writeFileSync(PROFILE_OUT, JSON.stringify(profile));
    } else {
      seconds = await run();
    }
    // Counted per model: the first model's series.
    const consumed = (await metrics.registry.getSingleMetricAsString('roundhouse_trigger_events_consumed_total')).match(/\} (\d+)/);
    if (!consumed || Number(consumed[1]) < EVENTS) throw new Error(`trigger counted ${consumed?.[1] ?? 0} of ${EVENTS} events`);
    return EVENTS / seconds;
  } finally {
    await app.stop();
    await bus.close();
  }
}

/** A fresh prefix: its feature topic holds the stream, its model-ready topic the champion. */
async function freshRound(brokers: string[], registryUrl: string): Promise<{ prefix: string; featureTopic: string }> {
  const prefix = `bench-${randomUUID().slice(0, 8)}.`;
  const featureTopic = `${prefix}features`;
  const logger = silentLogger();
  const bus = new KafkaEventBus(createKafkaClient({ brokers, clientId: 'bench-producer', logger }), { logger, defaultPartitions: PARTITIONS });
  const registry = new ConfluentSchemaRegistryClient({ url: registryUrl });
  const codec = await platformCodec(registry, topicNames(prefix));
  const models = testCatalog(...catalogYaml(featureTopic, `${prefix}labels`)).models;
  await bus.ensureTopics([{ name: featureTopic, partitions: PARTITIONS }, { name: `${prefix}labels`, partitions: PARTITIONS }, { name: codec.topics.modelReady, compacted: true }]);
  // A champion per global model (the family's members bootstrap their references).
  const profile = referenceProfile(FEATURES, 20_000);
  if (FAMILY === 0) await bus.publish(models.map((model) => codec.message('ModelReady', championEvent(model, profile, 1, START, START))));
  const events =
    FAMILY > 0
      ? familyStream({ seed: 1, features: 10, start: START, spacingMs: 1, merchants: FAMILY, big: 20, changed: [], changeAt: 0 }, EVENTS)
      : syntheticStream({ seed: 1, features: FEATURES, start: START, spacingMs: 10 }, EVENTS);
  await publishEvents(bus, registry, featureTopic, FAMILY > 0 ? 10 : FEATURES, events, 1000);
  await bus.close();
  return { prefix, featureTopic };
}

async function main(): Promise<void> {
  const stack = await startBenchStack();
  const brokers = stack.env.KAFKA_BROKERS.split(',');
  const registryUrl = stack.env.SCHEMA_REGISTRY_URL;
  // The probe: one bus, whose admin client connects on its first call — made before any span.
  const probe = new KafkaEventBus(createKafkaClient({ brokers, clientId: 'bench-probe', logger: silentLogger() }), { logger: silentLogger(), defaultPartitions: PARTITIONS });
  try {
    const results: { baseline: number; decode: number; trigger: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1}: producing ${EVENTS} events on fresh topics…\n`);
      const { prefix, featureTopic } = await freshRound(brokers, registryUrl);
      await probe.endOffsets(featureTopic); // the probe is connected before the spans
      let b = 0;
      let d = 0;
      let t = 0;
      let triggerStages = new Map<string, number>();
      const decoder = await platformCodec(new ConfluentSchemaRegistryClient({ url: registryUrl }), topicNames(prefix));
      if (round % 2 === 0) {
        b = await baseline(brokers, probe, featureTopic);
        d = await baseline(brokers, probe, featureTopic, decoder);
        t = await trigger(brokers, registryUrl, probe, prefix, featureTopic);
        triggerStages = new Map(stages);
      } else {
        t = await trigger(brokers, registryUrl, probe, prefix, featureTopic);
        triggerStages = new Map(stages);
        d = await baseline(brokers, probe, featureTopic, decoder);
        b = await baseline(brokers, probe, featureTopic);
      }
      results.push({ baseline: b, decode: d, trigger: t });
      process.stderr.write(`round ${round + 1}${round === 0 ? ' (cold)' : ''}: baseline ${b.toFixed(0)} ev/s, decode-only ${d.toFixed(0)} ev/s (${(d / b).toFixed(2)} of baseline), trigger ${t.toFixed(0)} ev/s, ratio ${(t / b).toFixed(3)}, ${(t / d).toFixed(2)} of decode-only (CPU of this process: baseline ${cpu.baseline.toFixed(1)} s, decode-only ${cpu.decode.toFixed(1)} s, trigger ${cpu.trigger.toFixed(1)} s; trigger stages caught up at ${[...triggerStages].map(([g, at]) => `${g.replace(prefix, '')} ${at.toFixed(2)} s`).join(', ')})\n`);
    }
    const median = (xs: number[]): number => {
      const sorted = [...xs].sort((a, c) => a - c);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    };
    const b = median(results.map((r) => r.baseline));
    const t = median(results.map((r) => r.trigger));
    const ratios = results.map((r, i) => `${(r.trigger / r.baseline).toFixed(2)}${i === 0 ? ' cold' : ''}`).join(', ');
    const decodeRatio = median(results.map((r) => r.decode / r.baseline)).toFixed(2);
    const ofDecode = median(results.map((r) => r.trigger / r.decode)).toFixed(2);
    const shape = FAMILY > 0 ? `11 features, family of ${FAMILY.toLocaleString('en-US')} merchants` : `${FEATURES + 1} features, ${MODELS} model${MODELS === 1 ? '' : 's'}`;
    const options = FAMILY > 0 ? ` --family ${FAMILY}` : MODELS > 1 ? ` --models ${MODELS}` : '';
    console.log(`| ${new Date().toISOString().slice(0, 10)} | ${EVENTS.toLocaleString('en-US')} events × ${shape}, ${PARTITIONS} partitions | ${b.toFixed(0)} | ${t.toFixed(0)} | ${(median(results.map((r) => r.trigger / r.baseline))).toFixed(2)} (rounds: ${ratios}; decode-only consumer ${decodeRatio} of baseline, trigger ${ofDecode} of it) | \`npx tsx bench/trigger-throughput.ts --events ${EVENTS} --rounds ${ROUNDS}${options}\` |`);
  } finally {
    await probe.close();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
