/**
 * The trigger at scale on the real stack (issue 11's "1,000 models, 10,000 merchants"):
 *
 *   npx tsx bench/trigger-scale.ts [--models 1000] [--merchants 10000] [--events 120000] [--family-events 480000]
 *
 * Uses KAFKA_BROKERS / SCHEMA_REGISTRY_URL when set, otherwise starts Kafka and
 * the registry (bench/stack.ts). The broker keeps its default max.message.bytes
 * (1 MiB). Two deployments, each on fresh topics, each with its own trigger:
 *
 *  A. `--models` global models on one feature topic (3 partitions, 20 numeric +
 *     1 categorical features, no champions: each bootstraps its reference), a
 *     0.5σ shift on f3, f9, f14 from the middle of the stream on.
 *  B. one family over `--merchants` merchants × 10 features (3 partitions; 20
 *     big merchants carry half the traffic, the rest share the other half), 16
 *     member shards; merchants m3, m7, m11, m13, m17 shift by 1σ on f1, f4, f6
 *     from the middle on.
 *
 * Checks (exit 1 when one fails): both stages catch up (ingest lag 0, every
 * partial judged), no stage dies (a record over the broker's limit would kill
 * it), nothing is dead-lettered; A: one DRIFT request per model; B: requests for
 * exactly the five changed merchants. Prints the time to catch up, heap and RSS
 * (peak, sampled every 250 ms) and the restart time: a second trigger takes over
 * the checkpoints while 2% more events arrive, timed from its start() until it
 * has caught up again (group joins, checkpoint load, the new events).
 */
import { randomUUID } from 'node:crypto';
import { groupsCaughtUp, type EventBus } from '../lib/bus';
import { ConfluentSchemaRegistryClient, topicNames } from '../lib/codec';
import type { RetrainRequested } from '../lib/events';
import { KafkaEventBus, createKafkaClient } from '../lib/kafka';
import { silentLogger } from '../lib/log';
import { Readiness, createServiceMetrics } from '../lib/metrics';
import { createTriggerApp, type TriggerApp } from '../services/trigger/app';
import { merchantFamilyYaml, testCatalog, testModelYaml } from '../services/trigger/testing/catalog';
import { platformCodec, publishEvents } from '../services/trigger/testing/harness';
import { familyStream, syntheticStream, type SyntheticEvent } from '../services/trigger/testing/stream';
import { numberArg, startBenchStack } from './stack';

const arg = numberArg;

const MODELS = arg('models', 1000);
const MERCHANTS = arg('merchants', 10_000);
const EVENTS = arg('events', 120_000);
const FAMILY_EVENTS = arg('family-events', 480_000);
const PARTITIONS = 3;
const START = Date.UTC(2026, 0, 1);
const CHANGED = ['m3', 'm7', 'm11', 'm13', 'm17'];

interface Deployment {
  readonly name: string;
  readonly prefix: string;
  readonly featureTopic: string;
  readonly yaml: string[];
  readonly features: number;
  /** `count` events, then `tail` more that arrive after the restart. */
  readonly events: (n: number) => Iterable<SyntheticEvent>;
  readonly count: number;
  readonly tail: number;
}

function* slice<T>(items: Iterable<T>, from: number): Generator<T> {
  let i = 0;
  for (const item of items) if (i++ >= from) yield item;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function busFor(brokers: string[], clientId: string): KafkaEventBus {
  const logger = silentLogger();
  return new KafkaEventBus(createKafkaClient({ brokers, clientId, logger }), { logger, defaultPartitions: PARTITIONS });
}

async function readRequests(bus: EventBus, topic: string, codec: Awaited<ReturnType<typeof platformCodec>>): Promise<RetrainRequested[]> {
  const ends = await bus.endOffsets(topic);
  const out: RetrainRequested[] = [];
  await bus.readRange(topic, [...ends].map(([partition, end]) => ({ partition, startOffset: '0', endOffset: end })), async (messages) => {
    for (const m of messages) out.push(codec.decode('RetrainRequested', m.value));
  });
  return out;
}

async function deadLetters(bus: EventBus, topic: string): Promise<number> {
  let n = 0;
  for (const end of (await bus.endOffsets(topic)).values()) n += Number(end);
  return n;
}

async function runDeployment(brokers: string[], registryUrl: string, d: Deployment): Promise<{ requests: RetrainRequested[]; failures: string[] }> {
  const registry = new ConfluentSchemaRegistryClient({ url: registryUrl });
  const codec = await platformCodec(registry, topicNames(d.prefix));
  const catalog = testCatalog(...d.yaml);
  const producer = busFor(brokers, `${d.name}-producer`);
  await producer.ensureTopics([{ name: d.featureTopic, partitions: PARTITIONS }, { name: `${d.prefix}labels`, partitions: PARTITIONS }]);
  let t0 = performance.now();
  await publishEvents(producer, registry, d.featureTopic, d.features, d.events(d.count), 2000);
  process.stderr.write(`${d.name}: produced ${d.count.toLocaleString('en-US')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  const failures: string[] = [];
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
  const start = async (instance: string): Promise<{ app: TriggerApp; bus: KafkaEventBus }> => {
    const bus = busFor(brokers, `${d.name}-${instance}`);
    const readiness = new Readiness();
    const app = createTriggerApp({
      bus,
      codec,
      catalog,
      logger: silentLogger(),
      metrics: createServiceMetrics('trigger'),
      readiness,
      instanceId: instance,
      groupId: `${d.prefix}trigger`,
      onFatal: (stage, error) => failures.push(`${d.name}: the ${stage} stage died: ${String(error)}`),
    });
    await app.start();
    return { app, bus };
  };
  t0 = performance.now();
  const { app, bus } = await start('a');
  const probe = busFor(brokers, `${d.name}-probe`);
  while (!(await groupsCaughtUp(probe, app.consumerGroups())) && failures.length === 0) await new Promise((r) => setTimeout(r, 200));
  const seconds = (performance.now() - t0) / 1000;
  const memory = process.memoryUsage();
  process.stderr.write(
    `${d.name}: caught up in ${seconds.toFixed(1)} s (${(d.count / seconds).toFixed(0)} events/s); heap ${mb(memory.heapUsed)}, RSS ${mb(memory.rss)}, peak RSS ${mb(peakRss)}\n`,
  );
  await app.stop();
  await bus.close();
  // A second instance takes over the checkpoints while `tail` more events arrive:
  // the time from its start() until it has caught up again (group join, checkpoint load, the tail).
  await publishEvents(producer, registry, d.featureTopic, d.features, slice(d.events(d.count + d.tail), d.count), 2000);
  await producer.close();
  const began = performance.now();
  const restarted = await start('b');
  while (!(await groupsCaughtUp(probe, restarted.app.consumerGroups())) && failures.length === 0) await new Promise((r) => setTimeout(r, 100));
  const consumingIn = (performance.now() - began) / 1000;
  process.stderr.write(`${d.name}: a restarted trigger had caught up with ${d.tail} more events ${consumingIn.toFixed(1)} s after start()\n`);
  await restarted.app.stop();
  await restarted.bus.close();
  clearInterval(sampler);
  const dlq = await deadLetters(probe, `${d.featureTopic}.dlq`);
  if (dlq > 0) failures.push(`${d.name}: ${dlq} events dead-lettered`);
  const requests = await readRequests(probe, codec.topics.retrainRequests, codec);
  await probe.close();
  console.log(`| ${d.name} | ${d.count.toLocaleString('en-US')} | ${seconds.toFixed(1)} s | ${(d.count / seconds).toFixed(0)} | ${mb(memory.heapUsed)} | ${mb(peakRss)} | ${consumingIn.toFixed(1)} s (${d.tail.toLocaleString('en-US')}) | ${requests.length} |`);
  return { requests, failures };
}

async function main(): Promise<void> {
  const stack = await startBenchStack();
  const brokers = stack.env.KAFKA_BROKERS.split(',');
  const registryUrl = stack.env.SCHEMA_REGISTRY_URL;
  const failures: string[] = [];
  try {
    console.log('| deployment | events | catch-up | events/s | heap after | peak RSS | restart → caught up (tail) | requests |');
    console.log('|---|---|---|---|---|---|---|---|');
    const a = `scale-${randomUUID().slice(0, 6)}-a.`;
    const models = await runDeployment(brokers, registryUrl, {
      name: `${MODELS} global models`,
      prefix: a,
      featureTopic: `${a}features`,
      features: 20,
      yaml: Array.from({ length: MODELS }, (_, i) => testModelYaml({ id: `m${i}`, featureTopic: `${a}features`, labelTopic: `${a}labels` })),
      events: (n) => syntheticStream({ seed: 21, features: 20, start: START, spacingMs: 10, changeAt: EVENTS / 2, changed: [3, 9, 14], shift: 0.5 }, n),
      count: EVENTS,
      tail: EVENTS / 50,
    });
    failures.push(...models.failures);
    const perModel = new Map<string, number>();
    for (const r of models.requests) perModel.set(r.modelId, (perModel.get(r.modelId) ?? 0) + 1);
    if (perModel.size !== MODELS || [...perModel.values()].some((n) => n !== 1) || models.requests.some((r) => r.reason !== 'DRIFT')) {
      failures.push(`${MODELS} models: expected one DRIFT request each, got ${models.requests.length} for ${perModel.size} models`);
    }

    const b = `scale-${randomUUID().slice(0, 6)}-b.`;
    const family = await runDeployment(brokers, registryUrl, {
      name: `family of ${MERCHANTS.toLocaleString('en-US')} merchants`,
      prefix: b,
      featureTopic: `${b}features`,
      features: 10,
      yaml: [
        merchantFamilyYaml({ maxSegments: MERCHANTS * 2, shards: 16, featureTopic: `${b}features`, labelTopic: `${b}labels` }),
      ],
      events: (n) => familyStream({ seed: 5, features: 10, start: START, spacingMs: 1, merchants: MERCHANTS, big: 20, changed: CHANGED, changeAt: FAMILY_EVENTS / 2 }, n),
      count: FAMILY_EVENTS,
      tail: FAMILY_EVENTS / 50,
    });
    failures.push(...family.failures);
    const segments = family.requests.map((r) => r.segment).sort();
    if (JSON.stringify(segments) !== JSON.stringify([...CHANGED].sort())) failures.push(`family: expected requests for ${CHANGED.join(', ')}, got ${segments.join(', ') || 'none'}`);
  } finally {
    await stack.stop();
  }
  if (failures.length > 0) {
    for (const f of failures) console.error(`FAILED: ${f}`);
    process.exit(1);
  }
  console.error('all checks passed');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
