/**
 * Where the trigger's CPU goes: the trigger over the in-memory bus (no broker,
 * no network: what is left is our own work and kafkajs-free plumbing), with
 * the V8 CPU profiler on for the span from start() until both stages have
 * committed the end of their topics. Not a benchmark (there is no baseline):
 * a tool for finding what to make faster before measuring it with
 * bench/trigger-throughput.ts.
 *
 *   npx tsx bench/trigger-profile.ts [--events 200000] [--models 1] [--family 0] [--top 30] [--out trigger.cpuprofile]
 *
 * Prints the span's events/s and the functions with the most self time;
 * `--out` also writes the profile (open it in Chrome DevTools or speedscope).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { MemoryEventBus, groupsCaughtUp } from '../lib/bus';
import { MemorySchemaRegistry, topicNames } from '../lib/codec';
import { silentLogger } from '../lib/log';
import { createServiceMetrics } from '../lib/metrics';
import { createTriggerApp } from '../services/trigger/app';
import { merchantFamilyYaml, testCatalog, testModelYaml } from '../services/trigger/testing/catalog';
import { championEvent, platformCodec, publishEvents } from '../services/trigger/testing/harness';
import { familyStream, referenceProfile, syntheticStream } from '../services/trigger/testing/stream';
import { formatSelfTimes, type Profile } from './profile';
import { numberArg } from './stack';

const EVENTS = numberArg('events', 200_000);
const MODELS = numberArg('models', 1);
const FAMILY = numberArg('family', 0);
const TOP = numberArg('top', 30);
const OUT = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : undefined;
const START = Date.UTC(2026, 0, 1);

async function main(): Promise<void> {
  const bus = new MemoryEventBus({ defaultPartitions: 3 });
  const registry = new MemorySchemaRegistry();
  const codec = await platformCodec(registry, topicNames('profile.'));
  const yamls =
    FAMILY > 0
      ? [merchantFamilyYaml({ maxSegments: FAMILY * 2, shards: 16, featureTopic: 'features', labelTopic: 'labels' })]
      : Array.from({ length: MODELS }, (_, i) => testModelYaml({ id: MODELS === 1 ? 'synthetic' : `m${i}`, featureTopic: 'features', labelTopic: 'labels', features: 20 }));
  const catalog = testCatalog(...yamls);
  await bus.ensureTopics([{ name: 'features', partitions: 3 }, { name: 'labels', partitions: 3 }, { name: codec.topics.modelReady, compacted: true }]);
  if (FAMILY === 0) await bus.publish(catalog.models.map((m) => codec.message('ModelReady', championEvent(m, referenceProfile(20, 20_000), 1, START, START))));
  const events =
    FAMILY > 0
      ? familyStream({ seed: 1, features: 10, start: START, spacingMs: 1, merchants: FAMILY, big: 20, changed: [], changeAt: 0 }, EVENTS)
      : syntheticStream({ seed: 1, features: 20, start: START, spacingMs: 10 }, EVENTS);
  await publishEvents(bus, registry, 'features', FAMILY > 0 ? 10 : 20, events, 1000);
  const app = createTriggerApp({ bus, codec, catalog, logger: silentLogger(), metrics: createServiceMetrics('trigger'), instanceId: 'profile', groupId: 'profile' });

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const t0 = performance.now();
  await app.start();
  // The span ends when every stage's group is caught up at once; per group, the
  // time of the poll from which it stayed caught up (where the span goes).
  const caughtUpAt = new Map<string, number>();
  for (;;) {
    let all = true;
    for (const group of app.consumerGroups()) {
      if (await groupsCaughtUp(bus, [group])) {
        if (!caughtUpAt.has(group.groupId)) caughtUpAt.set(group.groupId, (performance.now() - t0) / 1000);
      } else {
        caughtUpAt.delete(group.groupId);
        all = false;
      }
    }
    if (all) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const seconds = (performance.now() - t0) / 1000;
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
  if (OUT) writeFileSync(OUT, JSON.stringify(profile));
  const shape = FAMILY > 0 ? `a family of ${FAMILY} merchants × 10 features` : `${MODELS} model(s) × 21 features`;
  console.log(`${EVENTS} events, ${shape}, in-memory bus: ${seconds.toFixed(2)} s, ${(EVENTS / seconds).toFixed(0)} events/s`);
  console.log(`caught up: ${[...caughtUpAt].map(([group, at]) => `${group} ${at.toFixed(2)} s`).join(', ')}`);
  console.log(formatSelfTimes(profile, TOP));
  // Stopped after printing: a stage may still be pacing a commit on an unref'd timer, which would let the process exit first.
  await app.stop();
  await bus.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
