import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ArtifactStore } from '../../lib/artifacts';
import { FileArtifactStore } from '../../lib/artifacts/file-store';
import { verifyArtifact } from '../../lib/artifacts/manifest';
import { AvroCodec, createPlatformCodec, topicNames, type PlatformCodec } from '../../lib/codec';
import type { TrainingCompleted } from '../../lib/events';
import { RUN_SPEC_ENV, TRAINER_EXIT, serializeRunSpec, type RunSpec } from '../../lib/runspec';
import { decodeHoldout } from '../../services/trainer/holdout';
import { cardModel, produceCards, runSpecFor, type ProducedCards } from '../../services/trainer/testing/fixtures';
import { kafkaBus, readAll, registryClient, uniqueName } from '../helpers';
import { emptyPrefix, s3ProcessEnv, s3Store, s3TestRoot } from '../helpers/s3';

/**
 * The trainer contract (docs/trainer-contract.md), run against the real stack
 * for every trainer we ship: given a run spec over a window of card events and
 * chargebacks in Kafka (record timestamps = event times), a trainer process
 * must write an artifact whose manifest verifies, publish a TrainingCompleted
 * that our decoders accept with sane metrics, and exit 0; a window without
 * labelled data must give a FAILED NO_DATA result and exit 65.
 *
 * A custom trainer is tested by adding its command to TRAINERS.
 */
const ROOT = path.join(__dirname, '..', '..');
const BUILT_IN = [process.execPath, '--import', 'tsx', 'services/trainer/main.ts'];
/** [name, command, artifact root kind]: file:// for every trainer, s3:// (the stack's SeaweedFS) once. */
const TRAINERS: readonly (readonly [string, readonly string[], 'file' | 's3'])[] = [
  ['built-in (services/trainer)', BUILT_IN, 'file'],
  ['built-in (services/trainer), artifacts on s3://', BUILT_IN, 's3'],
  ['python example (examples/python-trainer)', ['bash', 'examples/python-trainer/run.sh'], 'file'],
];

interface Run {
  readonly exitCode: number | null;
  readonly output: string;
}

function runTrainer(command: readonly string[], spec: RunSpec, prefix: string, extraEnv: Record<string, string>): Promise<Run> {
  const [file, ...args] = command;
  const child = spawn(file!, args, {
    cwd: ROOT,
    env: { ...process.env, ...extraEnv, [RUN_SPEC_ENV]: serializeRunSpec(spec), ROUNDHOUSE_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (exitCode) => resolve({ exitCode, output })));
}

describe.each(TRAINERS)('trainer contract: %s', (_name, command, kind) => {
  const featureTopic = uniqueName('features');
  const labelTopic = uniqueName('labels');
  const prefix = `${uniqueName('contract')}.`;
  // s3://: the trainer process finds the endpoint in ROUNDHOUSE_S3_ENDPOINT and its credentials through the SDK's default chain (AWS_*).
  const artifactRoot = kind === 's3' ? s3TestRoot('contract') : `${pathToFileURL(mkdtempSync(path.join(tmpdir(), 'roundhouse-contract-'))).href}/`;
  const trainerEnv = kind === 's3' ? s3ProcessEnv() : {};
  const store: ArtifactStore & { destroy?: () => void } = kind === 's3' ? s3Store(artifactRoot) : new FileArtifactStore(artifactRoot);
  afterAll(async () => {
    if (kind === 's3') await emptyPrefix(artifactRoot);
    store.destroy?.();
  });
  let data: ProducedCards;
  let codec: PlatformCodec;
  let results = 0;

  beforeAll(async () => {
    const bus = kafkaBus(3);
    try {
      codec = await createPlatformCodec(new AvroCodec(registryClient()), topicNames(prefix));
      await bus.ensureTopics([{ name: featureTopic, partitions: 3 }, { name: labelTopic, partitions: 3 }, { name: codec.topics.trainingResults, partitions: 1 }]);
      // Two hours ago, so broker retention never touches it; 8,000 events over 160 s of event time.
      const startTime = Math.floor((Date.now() - 2 * 3_600_000) / 1000) * 1000;
      data = await produceCards(bus, new AvroCodec(registryClient()), { featureTopic, labelTopic }, 8000, { startTime });
    } finally {
      await bus.close();
    }
  });

  /** The run's TrainingCompleted, decoded with our platform decoder. */
  async function resultOf(runId: string): Promise<TrainingCompleted> {
    results += 1;
    const messages = await readAll(codec.topics.trainingResults, results, { timeoutMs: 60_000 });
    const events = messages.map((m) => ({ key: m.key, event: codec.decode('TrainingCompleted', m.value) })).filter((e) => e.event.runId === runId);
    expect(events).toHaveLength(1);
    expect(events[0]!.key).toBe(events[0]!.event.modelId);
    return events[0]!.event;
  }

  function spec(runId: string, window: { startTime: number; endTime: number }): RunSpec {
    const model = cardModel({ featureTopic, labelTopic, labelMaturity: '30s' });
    return runSpecFor(model, { runId, ...window, artifactUri: `${artifactRoot}card-fraud/${runId}/` });
  }

  it('trains on the window: verifiable artifact, decodable TrainingCompleted, sane metrics, exit 0', async () => {
    const runId = uniqueName('run');
    const s = spec(runId, { startTime: data.startTime, endTime: data.endTime });
    const run = await runTrainer(command, s, prefix, trainerEnv);
    expect({ exitCode: run.exitCode, output: run.exitCode === 0 ? '' : run.output }).toEqual({ exitCode: TRAINER_EXIT.SUCCESS, output: '' });

    const event = await resultOf(runId);
    expect(event).toMatchObject({ status: 'SUCCEEDED', failure: null, runId, requestId: s.requestId, modelId: 'card-fraud', artifactUri: s.artifactUri });
    expect(event.metrics!.rocAuc).toBeGreaterThan(0.7);
    expect(event.metrics!.rows).toBe(event.holdoutRows);
    expect(event.metrics!.positives).toBe(event.holdoutPositives);
    expect(event.holdoutPositives).toBeGreaterThan(0);
    for (const key of ['prAuc', 'logLoss', 'brier', 'recallAt1PctFpr', 'precisionAtK', 'expectedCalibrationError'] as const) {
      expect(Number.isFinite(event.metrics![key])).toBe(true);
    }
    // Rows are the events older than the maturity horizon (window end − 30 s), labelled or not.
    expect(event.positives).toBe(data.events.filter((e) => e.isFraud && e.transaction.event_time < s.dataWindow.endTime - 30_000).length);
    expect(event.rows).toBeGreaterThan(event.holdoutRows);
    expect(event.profile!.features).toHaveLength(s.model.data.features.length);
    expect(event.completedAt).toBeGreaterThanOrEqual(event.startedAt);

    // The artifact: every file's digest matches the manifest, whose digest the event carries.
    const { manifest } = await verifyArtifact(store, event.artifactUri!, event.artifactSha256);
    expect(manifest).toMatchObject({ runId, modelId: 'card-fraud', modelFormat: event.modelFormat, rows: event.rows, positives: event.positives });
    expect(manifest.dataWindow).toEqual(event.dataWindow);
    expect(manifest.files.map((f) => f.name)).toEqual(expect.arrayContaining(['model.json', 'metrics.json', 'profile.json', 'holdout.jsonl.gz']));
    // Offsets read: all three partitions of both topics, covering every feature event.
    const featureRanges = event.dataWindow.partitions.filter((p) => p.topic === featureTopic);
    expect(featureRanges).toHaveLength(3);
    expect(featureRanges.reduce((n, p) => n + p.endOffset - p.startOffset, 0)).toBe(8000);
    expect(event.dataWindow.partitions.filter((p) => p.topic === labelTopic)).toHaveLength(3);
    // The holdout the evaluator will rescore.
    expect(event.holdoutUri).toBe(`${event.artifactUri}holdout.jsonl.gz`);
    const holdout = decodeHoldout(await store.readFile(event.artifactUri!, 'holdout.jsonl.gz'));
    expect(holdout).toHaveLength(event.holdoutRows);
    expect(holdout.filter((r) => r.label === 1)).toHaveLength(event.holdoutPositives);
    expect(Math.min(...holdout.map((r) => r.eventTime))).toBe(event.holdoutStartTime);
  });

  it('a window with no labelled data: FAILED NO_DATA, not retriable, exit 65', async () => {
    const runId = uniqueName('run');
    const run = await runTrainer(command, spec(runId, { startTime: data.endTime + 60_000, endTime: data.endTime + 120_000 }), prefix, trainerEnv);
    expect({ exitCode: run.exitCode }).toEqual({ exitCode: TRAINER_EXIT.BAD_INPUT });
    const event = await resultOf(runId);
    expect(event).toMatchObject({ status: 'FAILED', failure: { code: 'NO_DATA', retriable: false }, artifactUri: null, artifactSha256: null, metrics: null, rows: 0 });
    expect(event.failure!.message).toMatch(/no labelled data/);
  });
});
