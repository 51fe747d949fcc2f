import { MemoryArtifactStore } from '../../lib/artifacts';
import { verifyArtifact } from '../../lib/artifacts/manifest';
import { MemoryEventBus, pinWindowOffsets, type EventBus } from '../../lib/bus';
import { ManualClock } from '../../lib/clock';
import { AvroCodec, MemorySchemaRegistry, createPlatformCodec, type PlatformCodec } from '../../lib/codec';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import { subjectFor, type TrainingCompleted } from '../../lib/events';
import { silentLogger } from '../../lib/log';
import { TRAINER_EXIT, type RunSpec } from '../../lib/runspec';
import { decodeHoldout } from './holdout';
import { CHARGEBACK_SCHEMA, cardModel, produceCards, runSpecFor, type ProducedCards } from './testing/fixtures';
import { runTraining, type TrainerDeps } from './train';

const TOPICS = { featureTopic: 'fraud.features', labelTopic: 'fraud.labels' };
const DIR = 'file:///artifacts/card-fraud/run-1/';

interface World {
  readonly bus: MemoryEventBus;
  readonly clock: ManualClock;
  readonly codec: PlatformCodec;
  readonly deps: TrainerDeps;
  readonly artifacts: MemoryArtifactStore;
  readonly data: ProducedCards;
}

async function world(count = 6000): Promise<World> {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const bus = new MemoryEventBus({ clock, defaultPartitions: 3 });
  const avro = new AvroCodec(new MemorySchemaRegistry());
  const codec = await createPlatformCodec(avro);
  const data = await produceCards(bus, avro, TOPICS, count);
  const artifacts = new MemoryArtifactStore();
  return { bus, clock, codec, artifacts, data, deps: { bus, avroCodec: avro, platformCodec: codec, artifacts, clock, logger: silentLogger() } };
}

function published(w: World): TrainingCompleted[] {
  return w.bus.messages(w.codec.topics.trainingResults).map((m) => w.codec.decode('TrainingCompleted', m.value));
}

function spec(w: World, extra: Partial<Parameters<typeof runSpecFor>[1]> = {}, model = cardModel(TOPICS)): RunSpec {
  return runSpecFor(model, { startTime: w.data.startTime, endTime: w.data.endTime, artifactUri: DIR, ...extra });
}

describe('runTraining on the memory bus', () => {
  it('reads, fits, writes a verifiable artifact and publishes SUCCEEDED', async () => {
    const w = await world();
    const result = await runTraining(spec(w), w.deps);
    expect(result.failure).toBeNull();
    expect(result.exitCode).toBe(TRAINER_EXIT.SUCCESS);
    const [event] = published(w);
    expect(event).toEqual(result.event);
    expect(event).toMatchObject({ status: 'SUCCEEDED', runId: 'run-1', modelId: 'card-fraud', artifactUri: DIR, modelFormat: 'roundhouse.logistic/v1', holdoutUri: `${DIR}holdout.jsonl.gz` });
    expect(event!.metrics!.rocAuc).toBeGreaterThan(0.75);
    const verified = await verifyArtifact(w.artifacts, DIR, event!.artifactSha256);
    expect(verified.manifest.files.map((f) => f.name)).toEqual(['holdout.jsonl.gz', 'metrics.json', 'model.json', 'profile.json']);
    expect(verified.manifest).toMatchObject({ rows: event!.rows, positives: event!.positives, codeVersion: expect.stringMatching(/^roundhouse-trainer \d/) });
    const holdout = decodeHoldout(await w.artifacts.readFile(DIR, 'holdout.jsonl.gz'));
    expect(holdout).toHaveLength(event!.holdoutRows);
    expect(holdout.filter((r) => r.label === 1)).toHaveLength(event!.holdoutPositives);
    expect(Math.min(...holdout.map((r) => r.eventTime))).toBe(event!.holdoutStartTime);
    expect(holdout[0]!.record).toHaveProperty('merchant_id');
    // Offsets read: every partition of both topics.
    expect(event!.dataWindow.partitions.map((p) => `${p.topic}/${p.partition}`)).toEqual([
      'fraud.features/0', 'fraud.features/1', 'fraud.features/2', 'fraud.labels/0', 'fraud.labels/1', 'fraud.labels/2',
    ]);
    expect(event!.dataWindow.partitions.filter((p) => p.topic === 'fraud.features').reduce((n, p) => n + p.endOffset - p.startOffset, 0)).toBe(6000);
    // Matured rows: every event older than the horizon (window end − 30 s), labelled or not; none of the last 30 s (1,500 events at 50/s).
    const horizon = w.data.endTime - 30_000;
    const matured = w.data.events.filter((e) => e.transaction.event_time < horizon);
    expect(event!.rows).toBe(matured.length);
    expect(event!.positives).toBe(matured.filter((e) => e.isFraud).length);
    expect(Math.max(...holdout.map((r) => r.eventTime))).toBeLessThan(horizon);
    expect(event!.profile!.features.map((f) => [f.name, f.kind])).toContainEqual(['currency', 'CATEGORICAL']);
    expect(event!.profile!.features.map((f) => [f.name, f.kind])).toContainEqual(['txn_count_24h', 'NUMERIC']);
    expect(event!.profile!.score?.name).toBe('model_score');
  });

  it('reads exactly the offsets the spec names, labels included', async () => {
    const w = await world(3000);
    const ends = await w.bus.endOffsets('fraud.features');
    // Only the first half of each feature partition; label partition 0 from offset 1.
    const features = [...ends].map(([partition, end]) => ({ topic: 'fraud.features', partition, startOffset: 0, endOffset: Math.floor(Number(end) / 2) }));
    const labels = [...(await w.bus.endOffsets('fraud.labels'))].map(([partition, end]) => ({ topic: 'fraud.labels', partition, startOffset: partition === 0 ? 1 : 0, endOffset: Number(end) }));
    const result = await runTraining(spec(w, { partitions: [...features, ...labels] }), w.deps);
    expect(result.event.status).toBe('SUCCEEDED');
    const read = result.event.dataWindow.partitions;
    expect(read.filter((p) => p.topic === 'fraud.features')).toEqual(features);
    expect(read.filter((p) => p.topic === 'fraud.labels')).toEqual(labels);
    const halfEvents = features.reduce((n, p) => n + p.endOffset, 0);
    expect(result.event.rows).toBeLessThanOrEqual(halfEvents);
  });

  it('pinned offsets: a rerun after more events and labels arrived trains on the same rows (same rowsSha256 and model); unpinned, it does not', async () => {
    const w = await world(3000);
    const pinned = await pinWindowOffsets(w.bus, TOPICS, w.data.startTime);
    const run = async (partitions: RunSpec['dataWindow']['partitions'], runId: string) => {
      const result = await runTraining(spec(w, { partitions, runId, artifactUri: `file:///artifacts/card-fraud/${runId}/` }), w.deps);
      expect(result.event.status).toBe('SUCCEEDED');
      const { manifest } = await verifyArtifact(w.artifacts, `file:///artifacts/card-fraud/${runId}/`, result.event.artifactSha256);
      return { manifest, model: (await w.artifacts.readFile(`file:///artifacts/card-fraud/${runId}/`, 'model.json')).toString() };
    };
    const first = await run(pinned, 'pin-1');
    const unpinnedFirst = await run([], 'free-1');
    expect(unpinnedFirst.manifest.rowsSha256).toBe(first.manifest.rowsSha256);
    // More events inside the window, and their labels, arrive between the runs.
    await produceCards(w.bus, w.deps.avroCodec, TOPICS, 600, { seed: 99, startTime: w.data.startTime });
    // ...and late chargebacks for 40 of the first run's genuine events, dated inside the window.
    const chargebacks = await w.deps.avroCodec.writer(subjectFor('fraud.labels'), CHARGEBACK_SCHEMA);
    const genuine = w.data.events.filter((e) => e.label === null).slice(0, 40);
    await w.bus.publish(
      genuine.map((e) => ({
        topic: 'fraud.labels',
        key: e.transaction.event_id,
        timestamp: e.transaction.event_time + 1000,
        value: chargebacks.encode({ event_id: e.transaction.event_id, label_time: e.transaction.event_time + 1000, is_fraud: true, reason_code: 'late', amount: e.transaction.amount, merchant_id: e.transaction.merchant_id }),
      })),
    );
    const second = await run(pinned, 'pin-2');
    const unpinnedSecond = await run([], 'free-2');
    expect(first.manifest.rowsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(second.manifest.rowsSha256).toBe(first.manifest.rowsSha256);
    expect(second.manifest.dataWindow.partitions).toEqual(first.manifest.dataWindow.partitions);
    expect(second.manifest.rows).toBe(first.manifest.rows);
    expect(JSON.parse(second.model).coefficients).toEqual(JSON.parse(first.model).coefficients);
    expect(unpinnedSecond.manifest.rowsSha256).not.toBe(first.manifest.rowsSha256);
    expect(unpinnedSecond.manifest.rows).toBeGreaterThan(first.manifest.rows);
  });

  it('a rerun of the same runId overwrites the artifact with the same model', async () => {
    const w = await world(3000);
    const first = await runTraining(spec(w), w.deps);
    const model1 = JSON.parse((await w.artifacts.readFile(DIR, 'model.json')).toString()) as { coefficients: number[] };
    const second = await runTraining(spec(w), w.deps);
    const model2 = JSON.parse((await w.artifacts.readFile(DIR, 'model.json')).toString()) as { coefficients: number[] };
    expect(model2.coefficients).toEqual(model1.coefficients);
    expect(second.event.metrics).toEqual(first.event.metrics);
    await verifyArtifact(w.artifacts, DIR, second.event.artifactSha256);
  });

  it('labels known after the window end are ignored, whenever the Job runs: a rerun a day later trains on the same rows', async () => {
    const w = await world(3000);
    const first = await runTraining(spec(w), w.deps);
    // A chargeback, a day after the window, for a matured genuine event.
    const genuine = w.data.events.find((e) => !e.isFraud && e.transaction.event_time < w.data.endTime - 31_000)!;
    const chargebacks = await w.deps.avroCodec.writer(subjectFor(TOPICS.labelTopic), CHARGEBACK_SCHEMA);
    const label = { event_id: genuine.transaction.event_id, label_time: w.data.endTime + 86_400_000, is_fraud: true, reason_code: '10.4', amount: 1, merchant_id: genuine.transaction.merchant_id };
    await w.bus.publish([{ topic: TOPICS.labelTopic, key: label.event_id, value: chargebacks.encode(label), timestamp: label.label_time }]);
    w.clock.advance(86_400_000);
    const second = await runTraining(spec(w), w.deps);
    expect([second.event.rows, second.event.positives, second.event.metrics]).toEqual([first.event.rows, first.event.positives, first.event.metrics]);
  });

  it('keeps only the segment of a family member', async () => {
    const w = await world();
    // The busiest merchant (Zipf popularity), so its segment has both classes.
    const counts = new Map<string, number>();
    for (const e of w.data.events) counts.set(e.transaction.merchant_id, (counts.get(e.transaction.merchant_id) ?? 0) + 1);
    const merchant = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const family = cardModel({ ...TOPICS, id: 'merchant-fraud', family: true, holdout: 0.5 });
    const result = await runTraining(spec(w, { modelId: `merchant-fraud.${merchant}`, segment: merchant }, family), w.deps);
    expect(result.event).toMatchObject({ status: 'SUCCEEDED', modelId: `merchant-fraud.${merchant}` });
    const mine = w.data.events.filter((e) => e.transaction.merchant_id === merchant && e.transaction.event_time < w.data.endTime - 30_000);
    expect(result.event.rows).toBe(mine.length);
    expect(result.event.positives).toBe(mine.filter((e) => e.isFraud).length);
    const holdout = decodeHoldout(await w.artifacts.readFile(DIR, 'holdout.jsonl.gz'));
    expect(holdout.length).toBeGreaterThan(0);
    expect(holdout.every((r) => r.record.merchant_id === merchant)).toBe(true);
  });

  it('a window with no labelled data fails NO_DATA, not retriable, exit 65', async () => {
    const w = await world(2000);
    // After the last event: nothing in the window.
    const result = await runTraining(spec(w, { startTime: w.data.endTime + 1000, endTime: w.data.endTime + 600_000 }), w.deps);
    expect(result.exitCode).toBe(TRAINER_EXIT.BAD_INPUT);
    const [event] = published(w);
    expect(event).toMatchObject({ status: 'FAILED', failure: { code: 'NO_DATA', retriable: false }, artifactUri: null, metrics: null, rows: 0 });
    expect(event!.failure!.message).toMatch(/no labelled data in window \[/);
    expect(w.artifacts.writes).toEqual([]);
  });

  it('a window younger than its label maturity has no rows, not only its early positives: NO_DATA', async () => {
    const w = await world(2000);
    const result = await runTraining(spec(w, {}, cardModel({ ...TOPICS, labelMaturity: '1d' })), w.deps);
    expect(result.event.failure).toMatchObject({ code: 'NO_DATA', retriable: false, message: expect.stringMatching(/no labelled data .*2000 younger than the maturity horizon/) });
    expect(result.exitCode).toBe(65);
  });

  it.each([
    ['hyperparameters the estimator refuses', { hyperparameters: { l2: 0.1 } }, cardModel(TOPICS), /invalid hyperparameters:\n {2}l2: unknown/],
    ['an estimator that is not built in', {}, cardModel({ ...TOPICS, estimator: 'lightgbm' }), /not built into roundhouse-trainer/],
  ])('%s: VALIDATION, exit 65, before reading anything', async (_what, extra, model, message) => {
    const w = await world(500);
    const reads = jest.spyOn(w.bus, 'readRange');
    const result = await runTraining(spec(w, extra, model), w.deps);
    expect(result.event.failure).toMatchObject({ code: 'VALIDATION', retriable: false, message: expect.stringMatching(message) });
    expect(result.exitCode).toBe(65);
    expect(reads).not.toHaveBeenCalled();
  });

  it('Kafka failing mid-read is retriable: FAILED published when possible, exit 75', async () => {
    const w = await world(500);
    const bus: EventBus = Object.assign(Object.create(w.bus) as MemoryEventBus, {
      readRange: async () => {
        throw new RoundhouseError(ErrorCodes.KAFKA_UNAVAILABLE, 'broker gone');
      },
    });
    const result = await runTraining(spec(w), { ...w.deps, bus });
    expect(result).toMatchObject({ exitCode: TRAINER_EXIT.RETRIABLE, published: true, failure: { code: 'KAFKA_UNAVAILABLE', retriable: true } });
    // What had been resolved before the failure is reported.
    expect(published(w)[0]!.dataWindow.partitions.length).toBe(3);
  });

  it('a success that cannot be published becomes a retriable failure (exit 75)', async () => {
    const w = await world(2000);
    const bus: EventBus = Object.assign(Object.create(w.bus) as MemoryEventBus, {
      publish: async () => {
        throw new RoundhouseError(ErrorCodes.KAFKA_UNAVAILABLE, 'no leader');
      },
    });
    const result = await runTraining(spec(w), { ...w.deps, bus });
    expect(result).toMatchObject({ exitCode: 75, published: false, failure: { code: 'KAFKA_UNAVAILABLE', retriable: true } });
  });

  it('the artifact store failing is retriable', async () => {
    const w = await world(2000);
    const artifacts = new MemoryArtifactStore();
    artifacts.writeFile = async () => {
      throw new RoundhouseError(ErrorCodes.STORAGE_UNAVAILABLE, 'volume not mounted');
    };
    const result = await runTraining(spec(w), { ...w.deps, artifacts });
    expect(result).toMatchObject({ exitCode: 75, published: true, event: { status: 'FAILED', failure: { code: 'STORAGE_UNAVAILABLE', retriable: true } } });
  });
});
