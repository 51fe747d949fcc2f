/**
 * Issue 13 on the real stack (Kafka + schema registry): a first candidate is
 * rejected, and the trigger asks again once the refire backoff has passed, as a
 * new attempt with its own requestId. The dispatcher and the evaluator are
 * played by publishing their events (TrainingRun, ModelEvaluated) on the real
 * topics: what is under test is the trigger's follower, judge and checkpoints.
 * The data lags 2 h+ behind the loop (the champion was promoted a day after its
 * data ended), so AGE fires only because it measures data age in event time.
 */
import { topicNames, type PlatformCodec } from '../../lib/codec';
import type { RetrainRequested } from '../../lib/events';
import { SAMPLE_EVENTS } from '../../lib/events/samples';
import { createLogger, silentLogger } from '../../lib/log';
import { createServiceMetrics } from '../../lib/metrics';
import { createTriggerApp } from '../../services/trigger/app';
import { requestIdFor } from '../../services/trigger/core/ids';
import { testCatalog, testModelYaml } from '../../services/trigger/testing/catalog';
import { championEvent, platformCodec, publishEvents } from '../../services/trigger/testing/harness';
import { referenceProfile, syntheticStream } from '../../services/trigger/testing/stream';
import { kafkaBus, registryClient, uniqueName, waitFor } from '../helpers';

const FEATURES = 20;
const START = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const PARTITIONS = 3;
// 1 event per 10 ms of event time: 6,000 per minute window.
const PER_MINUTE = 6_000;

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

/** Whether a group has committed a topic to its end (a transactional topic's end may sit one past, on its commit marker). */
async function consumedToEnd(groupId: string, topic: string, transactional: boolean): Promise<boolean> {
  const bus = kafkaBus();
  try {
    const [ends, done] = await Promise.all([bus.endOffsets(topic), bus.committedOffsets(groupId, topic)]);
    return [...ends].every(([p, end]) => BigInt(end) === 0n || BigInt(done.get(p) ?? '0') >= BigInt(end) - (transactional ? 1n : 0n));
  } finally {
    await bus.close();
  }
}

async function metric(metrics: ReturnType<typeof createServiceMetrics>, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const values = (await metrics.registry.getSingleMetric(`roundhouse_trigger_${name}`)?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))?.value;
}

describe('trigger on the real stack: re-firing after a rejection', () => {
  it('a rejected first candidate → a new AGE request (attempt 1) once the backoff has passed, and no other', async () => {
    const prefix = `${uniqueName('trg-refire')}.`;
    const featureTopic = `${prefix}features`;
    const labelTopic = `${prefix}labels`;
    const modelYaml = testModelYaml({ featureTopic, labelTopic, maxAge: '5m', cooldown: '1m', extraTriggers: '      refire: { backoff: 2m, maxBackoff: 4m }' });
    const catalog = testCatalog(modelYaml);
    const model = catalog.models[0]!;
    const codec = await platformCodec(registryClient(), topicNames(prefix));
    const setup = kafkaBus(PARTITIONS);
    const stream = (from: number, count: number) =>
      [...syntheticStream({ seed: 13, features: FEATURES, start: START, spacingMs: 10 }, from + count)].slice(from);
    try {
      await setup.ensureTopics([
        { name: featureTopic, partitions: PARTITIONS },
        { name: labelTopic, partitions: PARTITIONS },
        { name: codec.topics.modelReady, compacted: true },
        { name: codec.topics.retrainRequests },
        { name: codec.topics.trainingRuns },
        { name: codec.topics.evaluations },
      ]);
      // Data ends at START; the promotion happened (wall clock) a day later.
      await setup.publish([codec.message('ModelReady', championEvent(model, referenceProfile(FEATURES, 20_000), 1, START + 86_400_000, START))]);
      // Phase 1: 7 minutes of data. The champion's data is 5 min old at the window ending START + 5 min.
      await publishEvents(setup, registryClient(), featureTopic, FEATURES, stream(0, 7 * PER_MINUTE), 1000);
    } finally {
      await setup.close();
    }

    const bus = kafkaBus(PARTITIONS);
    const metrics = createServiceMetrics('trigger');
    const app = createTriggerApp({
      bus,
      codec,
      catalog,
      logger: process.env.TRIGGER_TEST_LOG ? createLogger({ level: 'debug', service: 'trigger-refire' }) : silentLogger(),
      metrics,
      instanceId: 'a',
      groupId: `${prefix}roundhouse-trigger`,
      heartbeatMs: 1_000,
    });
    await app.start();
    try {
      const [first] = await waitFor(async () => {
        const found = await requestsOn(codec);
        return found.length > 0 ? found : undefined;
      }, 'the first AGE request', 180_000);
      expect(first).toMatchObject({ reason: 'AGE', requestId: requestIdFor(model.id, 'AGE', 'a1'), requestedAt: START + 5 * MINUTE, championVersion: 1 });
      expect(first!.age).toEqual({ championPromotedAt: START + 86_400_000, ageMs: 5 * MINUTE, maxAgeMs: 5 * MINUTE, championDataWindowEnd: START });
      expect(first!.emittedAt).toBeGreaterThan(Date.now() - 600_000); // wall clock, unlike requestedAt

      // The dispatcher ran it, the evaluator rejected the candidate.
      const runId = `run-${first!.requestId}`;
      const evaluatedAt = Date.now();
      await bus.publish([
        codec.message('TrainingRun', { ...SAMPLE_EVENTS.TrainingRun, runId, requestId: first!.requestId, modelId: model.id, reason: 'AGE', state: 'SUCCEEDED', previousState: 'RUNNING', failure: null, sequence: 3 }),
        codec.message('ModelEvaluated', { ...SAMPLE_EVENTS.ModelEvaluated, evaluationId: `ev-${runId}`, modelId: model.id, runId, requestId: first!.requestId, decision: 'REJECT', override: null, evaluatedAt }),
      ]);

      // Phase 2: 13 more minutes of data.
      await publishEvents(bus, registryClient(), featureTopic, FEATURES, stream(7 * PER_MINUTE, 13 * PER_MINUTE), 1000);
      const group = `${prefix}roundhouse-trigger`;
      await waitFor(async () => (await consumedToEnd(`${group}-ingest`, featureTopic, false)) || undefined, 'the ingest stage to consume every event', 300_000);
      await waitFor(async () => (await consumedToEnd(`${group}-judge`, `${prefix}roundhouse.trigger-partials`, true)) || undefined, 'the judge stage to consume every partial', 300_000);

      const requests = await requestsOn(codec);
      expect(requests.map((r) => r.requestId)).toEqual([first!.requestId, requestIdFor(model.id, 'AGE', 'a1', 1)]);
      const second = requests[1]!;
      // The rejection is learnt at a window after 7 min at the earliest (phase 2), and the backoff is 2 min.
      expect(second.requestedAt).toBeGreaterThanOrEqual(START + 9 * MINUTE);
      expect(second.requestedAt).toBeLessThanOrEqual(START + 20 * MINUTE);
      expect(second.age!.ageMs).toBe(second.requestedAt - START);
      expect(await metric(metrics, 'request_outcomes_total', { model: model.id, outcome: 'REJECTED' })).toBe(1);
      expect(await metric(metrics, 'suppressed_total', { model: model.id, reason: 'backoff' })).toBeGreaterThanOrEqual(1);
      // The second request has no outcome: the rest of the windows are held back as in flight.
      expect(await metric(metrics, 'suppressed_total', { model: model.id, reason: 'in-flight' })).toBeGreaterThanOrEqual(1);
    } finally {
      await app.stop();
      await bus.close();
    }
  }, 900_000);
});
