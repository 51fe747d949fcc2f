import { promises as fs, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryArtifactStore } from '../../lib/artifacts';
import { verifyArtifact } from '../../lib/artifacts/manifest';
import { MemoryEventBus } from '../../lib/bus';
import { ManualClock } from '../../lib/clock';
import { AvroCodec, MemorySchemaRegistry, createPlatformCodec, type PlatformCodec } from '../../lib/codec';
import type { ModelMetrics, TrainingCompleted } from '../../lib/events';
import { silentLogger } from '../../lib/log';
import type { RunSpec } from '../../lib/runspec';
import { cardModel, produceCards, runSpecFor } from './testing/fixtures';
import { CRASHED, fetchWindow, publishWork, type FetchContext } from './toolkit';
import type { TrainerDeps } from './train';

const TOPICS = { featureTopic: 'fraud.features', labelTopic: 'fraud.labels' };
const DIR = 'file:///artifacts/card-fraud/run-1/';

/** The toolkit's two steps around a fake "user trainer" that writes files by hand. */
describe('trainer toolkit: fetch and publish', () => {
  let bus: MemoryEventBus;
  let codec: PlatformCodec;
  let deps: TrainerDeps;
  let artifacts: MemoryArtifactStore;
  let spec: RunSpec;
  let work: string;

  beforeEach(async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    bus = new MemoryEventBus({ clock });
    const avro = new AvroCodec(new MemorySchemaRegistry());
    codec = await createPlatformCodec(avro);
    const data = await produceCards(bus, avro, TOPICS, 3000);
    artifacts = new MemoryArtifactStore();
    deps = { bus, avroCodec: avro, platformCodec: codec, artifacts, clock, logger: silentLogger() };
    spec = runSpecFor(cardModel(TOPICS), { startTime: data.startTime, endTime: data.endTime, artifactUri: DIR });
    work = mkdtempSync(path.join(tmpdir(), 'roundhouse-toolkit-'));
  });

  const results = (): TrainingCompleted[] => bus.messages(codec.topics.trainingResults).map((m) => codec.decode('TrainingCompleted', m.value));
  const context = async (): Promise<FetchContext> => JSON.parse(await fs.readFile(path.join(work, 'context.json'), 'utf8')) as FetchContext;
  const lines = async (name: string): Promise<{ label: number; eventTime: number }[]> =>
    (await fs.readFile(path.join(work, name), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { label: number; eventTime: number });

  async function userTrainerSucceeds(metrics: Partial<ModelMetrics> = {}): Promise<void> {
    const c = await context();
    await fs.writeFile(path.join(work, 'artifact', 'model.json'), '{"format":"test/v1"}');
    const full: ModelMetrics = { rocAuc: 0.8, prAuc: 0.3, logLoss: 0.1, brier: 0.02, recallAt1PctFpr: 0.4, precisionAtK: 0.5, k: 8, expectedCalibrationError: 0.01, rows: c.holdoutRows, positives: c.holdoutPositives, extra: { trees: 3 }, ...metrics };
    await fs.writeFile(path.join(work, 'artifact', 'metrics.json'), JSON.stringify(full));
    await fs.writeFile(path.join(work, 'result.json'), JSON.stringify({ status: 'SUCCEEDED', modelFormat: 'test/v1', trainerVersion: 'test-trainer 1' }));
  }

  it('fetch writes the split rows and the platform files; publish uploads them with a manifest', async () => {
    expect(await fetchWindow(spec, work, deps)).toBeNull();
    const c = await context();
    const train = await lines('train.jsonl');
    const holdout = await lines('holdout.jsonl');
    expect(train.length).toBe(c.trainRows);
    expect(holdout.length).toBe(c.holdoutRows);
    expect(train.length + holdout.length).toBe(c.rows);
    expect(Math.max(...train.map((r) => r.eventTime))).toBeLessThan(Math.min(...holdout.map((r) => r.eventTime)));
    expect(holdout.filter((r) => r.label === 1).length).toBe(c.holdoutPositives);
    expect(c.features.find((f) => f.name === 'currency')?.type).toBe('categorical');

    await userTrainerSucceeds();
    const result = await publishWork(spec, work, 0, deps);
    expect(result).toMatchObject({ exitCode: 0, published: true, failure: null });
    const [event] = results();
    expect(event).toMatchObject({ status: 'SUCCEEDED', modelFormat: 'test/v1', trainerVersion: 'test-trainer 1', rows: c.rows, holdoutRows: c.holdoutRows });
    expect(event!.metrics!.extra).toEqual({ trees: 3 });
    const { manifest } = await verifyArtifact(artifacts, DIR, event!.artifactSha256);
    expect(manifest.files.map((f) => f.name)).toEqual(['holdout.jsonl.gz', 'metrics.json', 'model.json', 'profile.json']);
  });

  it('a trainer\'s featureImportance goes into the profile of the event and of the uploaded artifact; a bad one is VALIDATION naming it', async () => {
    await fetchWindow(spec, work, deps);
    await userTrainerSucceeds();
    const c = await context();
    const [first, second] = c.features.map((f) => f.name);
    await fs.writeFile(path.join(work, 'result.json'), JSON.stringify({ status: 'SUCCEEDED', modelFormat: 'test/v1', featureImportance: { [first!]: 3.5, [second!]: 0 } }));
    expect((await publishWork(spec, work, 0, deps)).exitCode).toBe(0);
    const [event] = results();
    const importance = Object.fromEntries(event!.profile!.features.map((f) => [f.name, f.importance]));
    expect(importance[first!]).toBe(3.5);
    expect(importance[second!]).toBe(0);
    expect(Object.values(importance).filter((v) => v === null).length).toBe(c.features.length - 2);
    await verifyArtifact(artifacts, DIR, event!.artifactSha256);
    const stored = JSON.parse((await artifacts.readFile(DIR, 'profile.json')).toString('utf8')) as { features: { name: string; importance: number | null }[] };
    expect(stored.features.find((f) => f.name === first)!.importance).toBe(3.5);

    bus = new MemoryEventBus({ clock: new ManualClock(Date.UTC(2026, 5, 1)) });
    await fs.writeFile(path.join(work, 'result.json'), JSON.stringify({ status: 'SUCCEEDED', modelFormat: 'test/v1', featureImportance: { nope: 1, [first!]: -2 } }));
    const bad = await publishWork(spec, work, 0, { ...deps, bus });
    expect(bad.exitCode).toBe(65);
    expect(bus.messages(codec.topics.trainingResults).map((m) => codec.decode('TrainingCompleted', m.value))[0]!.failure).toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/result\.json: featureImportance\.nope: not a feature of this model .*featureImportance\.[a-z_]+: must be a finite number >= 0, got -2/),
    });
  });

  it('a trainer that reports FAILED: published as it said, exit by its retriable flag', async () => {
    await fetchWindow(spec, work, deps);
    await fs.writeFile(path.join(work, 'result.json'), JSON.stringify({ status: 'FAILED', failure: { code: 'VALIDATION', message: 'max_depth must be > 0', retriable: false } }));
    const result = await publishWork(spec, work, 65, deps);
    expect(result.exitCode).toBe(65);
    expect(results()[0]).toMatchObject({ status: 'FAILED', failure: { code: 'VALIDATION', message: 'max_depth must be > 0', retriable: false } });
  });

  it.each([
    [1, true, 75],
    [65, false, 65],
  ])('a trainer that exits %d without result.json is a crash (retriable %s, exit %d)', async (exit, retriable, code) => {
    await fetchWindow(spec, work, deps);
    const result = await publishWork(spec, work, exit, deps);
    expect(result.exitCode).toBe(code);
    expect(results()[0]).toMatchObject({ status: 'FAILED', failure: { code: CRASHED, retriable } });
  });

  it.each([
    ['metrics of other rows', async () => userTrainerSucceeds({ rows: 1 }), /metrics\.json: computed on 1 rows/],
    ['metrics missing a field', async () => {
      await userTrainerSucceeds();
      const m = JSON.parse(await fs.readFile(path.join(work, 'artifact', 'metrics.json'), 'utf8')) as Record<string, unknown>;
      delete m.brier;
      await fs.writeFile(path.join(work, 'artifact', 'metrics.json'), JSON.stringify(m));
    }, /does not make a valid TrainingCompleted[\s\S]*brier/],
    ['no model file', async () => {
      await userTrainerSucceeds();
      await fs.rm(path.join(work, 'artifact', 'model.json'));
    }, /has no model\.json/],
  ])('%s: VALIDATION, nothing uploaded, exit 65', async (_what, prepare, message) => {
    await fetchWindow(spec, work, deps);
    await prepare();
    const result = await publishWork(spec, work, 0, deps);
    expect(result.exitCode).toBe(65);
    expect(results()[0]!.failure).toMatchObject({ code: 'VALIDATION', retriable: false, message: expect.stringMatching(message) });
    expect(artifacts.writes).toEqual([]);
  });

  it('fetch of a window without labelled data publishes NO_DATA itself', async () => {
    const empty = { ...spec, dataWindow: { ...spec.dataWindow, startTime: spec.dataWindow.endTime + 1000, endTime: spec.dataWindow.endTime + 2000 } };
    const result = await fetchWindow(empty, work, deps);
    expect(result).toMatchObject({ exitCode: 65, failure: { code: 'NO_DATA', retriable: false } });
    expect(results()).toHaveLength(1);
  });
});
