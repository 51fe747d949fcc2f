/**
 * The evaluator on the real stack: its main.ts as a child process (Kafka, the
 * registry, file:// artifacts in a temp dir), fed TrainingCompleted events and
 * operator commands, observed only through Kafka; the trigger's champion
 * follower shows the trigger adopting the promoted model's reference profile.
 * Needs no Kubernetes: `KUBECONFIG=/dev/null npx jest test/integration/evaluator`
 * starts only Kafka and the registry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { FileArtifactStore } from '../../lib/artifacts/file-store';
import type { KafkaEventBus } from '../../lib/kafka';
import { AvroCodec, createPlatformCodec, topicNames, type PlatformCodec } from '../../lib/codec';
import type { ModelEvaluated, ModelReady, TrainingCompleted } from '../../lib/events';
import { silentLogger } from '../../lib/log';
import { serializeModel, type LogisticModel } from '../../lib/model';
import { commandMessage, commandsTopicFor } from '../../services/evaluator/commands';
import { MODEL_ID, T0, bucketBombModel, championReady, completed, evaluatorCatalogYaml, gzipBomb, holdoutMetrics, retrainRequest, trainModels, writeArtifact, writeCrafted } from '../../services/evaluator/testing/fixtures';
import { ChampionFollower } from '../../services/trigger/follower';
import { kafkaBus, rawKafka, readAll, registryClient, stackEnv, uniqueName, waitFor } from '../helpers';

const PARTITIONS = 2;

let prefix: string;
let dir: string;
let codec: PlatformCodec;
let bus: KafkaEventBus;
let child: ChildProcess | undefined;
let trigger: ChampionFollower | undefined;
let triggerBus: KafkaEventBus | undefined;
let store: FileArtifactStore;

beforeAll(async () => {
  prefix = `${uniqueName('evaluator')}.`;
  dir = mkdtempSync(join(tmpdir(), 'roundhouse-evaluator-'));
  store = new FileArtifactStore(pathToFileURL(dir).href);
  codec = await createPlatformCodec(new AvroCodec(registryClient()), topicNames(prefix));
  bus = kafkaBus(PARTITIONS);
  await bus.ensureTopics([
    { name: codec.topics.trainingResults },
    { name: codec.topics.retrainRequests },
    { name: codec.topics.trainingRuns },
    { name: codec.topics.evaluations },
    { name: codec.topics.modelReady, compacted: true },
    { name: commandsTopicFor(codec.topics) },
  ]);
});

afterAll(async () => {
  await trigger?.stop();
  await triggerBus?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

function startEvaluatorProcess(): ChildProcess {
  const catalogPath = join(dir, 'catalog.yaml');
  writeFileSync(catalogPath, evaluatorCatalogYaml());
  const { brokers, registryUrl } = stackEnv();
  return spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'services', 'evaluator', 'main.ts')], {
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      ROUNDHOUSE_CATALOG: catalogPath,
      ROUNDHOUSE_TOPIC_PREFIX: prefix,
      ARTIFACT_ROOT: pathToFileURL(dir).href,
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function artifact(runId: string, model: LogisticModel): Promise<{ uri: string; sha: string }> {
  const uri = `${pathToFileURL(join(dir, runId)).href}/`;
  return { uri, sha: await writeArtifact(store, uri, { runId, model }) };
}

async function candidate(runId: string, model: LogisticModel): Promise<TrainingCompleted> {
  const { uri, sha } = await artifact(runId, model);
  await bus.publish([codec.message('RetrainRequested', retrainRequest(`req-${runId}`, T0))]);
  return completed({ runId, requestId: `req-${runId}`, artifactUri: uri, sha256: sha, metrics: holdoutMetrics(model, trainModels().holdout) });
}

async function evaluationsOnKafka(count: number): Promise<ModelEvaluated[]> {
  return (await readAll(codec.topics.evaluations, count)).map((m) => codec.decode('ModelEvaluated', m.value));
}

async function readiesOnKafka(count: number): Promise<ModelReady[]> {
  return (await readAll(codec.topics.modelReady, count)).map((m) => codec.decode('ModelReady', m.value)).sort((a, b) => a.version - b.version);
}

/** Messages on a topic (no transactions here, so the end offsets count them). */
async function count(topic: string): Promise<number> {
  return [...(await bus.endOffsets(topic)).values()].reduce((sum, end) => sum + Number(end), 0);
}

/** The evaluator's results consumer has committed everything on the results topic: it has handled the last delivery. */
async function resultsCaughtUp(): Promise<void> {
  const groupId = `${prefix}roundhouse-evaluator`;
  const topic = codec.topics.trainingResults;
  const admin = rawKafka().admin();
  await admin.connect();
  try {
    await waitFor(async () => {
      const ends = await bus.endOffsets(topic);
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committed = new Map((offsets?.partitions ?? []).map((p) => [p.partition, p.offset]));
      return [...ends].every(([partition, end]) => end === '0' || committed.get(partition) === end);
    }, 'the evaluator to commit the results topic', 60_000);
  } finally {
    await admin.disconnect();
  }
}

describe('evaluator on Kafka, the registry and file:// artifacts', () => {
  it('promotes a better candidate (the trigger adopts its profile), rejects shuffled labels, ignores redelivery, rolls back', async () => {
    const { good, shuffled, holdout } = trainModels();
    // A stale champion: version 1, trained on shuffled labels.
    const seed = await artifact('seed-1', shuffled);
    const v1 = championReady(1, seed.uri, seed.sha, holdoutMetrics(shuffled, holdout));
    await bus.publish([codec.message('ModelReady', v1)]);
    triggerBus = kafkaBus(PARTITIONS);
    trigger = new ChampionFollower(triggerBus, codec, silentLogger(), `${prefix}trigger`);
    await trigger.start();
    expect(trigger.champion(MODEL_ID)?.version).toBe(1);

    child = startEvaluatorProcess();
    const better = await candidate('run-good', good);
    await bus.publish([codec.message('TrainingCompleted', better)]);

    // 1. Promotion, with the lineage and both models rescored on the candidate's holdout.
    const [promoted] = await evaluationsOnKafka(1);
    expect(promoted).toMatchObject({ runId: 'run-good', decision: 'PROMOTE', mode: 'RESCORED', championVersion: 1 });
    expect(promoted!.candidateMetrics.rocAuc).toBeGreaterThan(promoted!.championMetrics!.rocAuc);
    const v2 = (await readiesOnKafka(2))[1]!;
    expect(v2).toMatchObject({ version: 2, cause: 'PROMOTION', artifactUri: better.artifactUri, artifactSha256: better.artifactSha256 });
    expect(v2.lineage).toMatchObject({ requestId: 'req-run-good', runId: 'run-good', evaluationId: promoted!.evaluationId, reason: 'DRIFT', parentVersion: 1 });
    expect(v2.lineage.driftEvidence).toEqual(retrainRequest('x').drift);
    // The trigger now judges drift against the promoted model's training profile.
    await waitFor(() => trigger!.champion(MODEL_ID)?.version === 2, 'the trigger to adopt version 2');
    expect(trigger.champion(MODEL_ID)!.profile).toEqual(better.profile);

    // 2. The shuffled-labels candidate is rejected, and the failing gates are named.
    await bus.publish([codec.message('TrainingCompleted', await candidate('run-shuffled', shuffled))]);
    const rejected = (await evaluationsOnKafka(2)).find((e) => e.runId === 'run-shuffled')!;
    expect(rejected).toMatchObject({ decision: 'REJECT', championVersion: 2 });
    expect(rejected.gates.filter((g) => !g.passed).map((g) => g.gate)).toEqual(['min-roc-auc', 'max-drop-roc-auc']);

    // 3. A redelivered TrainingCompleted changes nothing.
    await bus.publish([codec.message('TrainingCompleted', better)]);
    await resultsCaughtUp();
    expect(await count(codec.topics.evaluations)).toBe(2);
    expect(await count(codec.topics.modelReady)).toBe(2);

    // 4. Rollback to version 1: re-published as version 3, recorded with who and why.
    await bus.publish([
      commandMessage(commandsTopicFor(codec.topics), {
        format: 'roundhouse.evaluator-command/v1',
        commandId: 'rollback-1',
        modelId: MODEL_ID,
        action: 'ROLLBACK',
        targetVersion: 1,
        actor: 'alice',
        reason: 'INC-9: version 2 misfires on a merchant',
        issuedAt: Date.now(),
        source: 'test',
      }),
    ]);
    const v3 = (await readiesOnKafka(3))[2]!;
    expect(v3).toMatchObject({ version: 3, cause: 'ROLLBACK', restoredVersion: 1, artifactUri: v1.artifactUri, artifactSha256: v1.artifactSha256, lineage: { parentVersion: 2 } });
    const record = (await evaluationsOnKafka(3)).find((e) => e.evaluationId === v3.lineage.evaluationId)!;
    expect(record.override).toEqual({ action: 'ROLLBACK', actor: 'alice', reason: 'INC-9: version 2 misfires on a merchant' });
    await waitFor(() => trigger!.champion(MODEL_ID)?.version === 3, 'the trigger to adopt the rollback');
  });
  it('rejects crafted artifacts under valid manifests, each with its reason, and keeps running (issue 14: they aborted it at every redelivery)', async () => {
    child ??= startEvaluatorProcess();
    const { good, holdout } = trainModels();
    const before = await count(codec.topics.evaluations);
    const modelFile = { name: 'model.json', data: Buffer.from(serializeModel(good)) };
    const small = gzipSync(Buffer.from('{"label":1,"record":{}}\n'));
    const publish = async (runId: string, artifactUri: string, sha: string, holdoutUri?: string): Promise<void> => {
      const result = completed({ runId, requestId: `req-${runId}`, artifactUri, sha256: sha, metrics: holdoutMetrics(good, holdout) });
      await bus.publish([codec.message('TrainingCompleted', holdoutUri === undefined ? result : { ...result, holdoutUri })]);
    };
    const crafted = async (runId: string, files: { name: string; data: Buffer }[], holdoutUri?: string): Promise<string> => {
      const uri = `${pathToFileURL(join(dir, runId)).href}/`;
      await publish(runId, uri, await writeCrafted(store, uri, runId, files), holdoutUri);
      return uri;
    };
    await crafted('run-buckets', [{ name: 'model.json', data: bucketBombModel() }]);
    await crafted('run-bomb', [modelFile, { name: 'holdout.jsonl.gz', data: gzipBomb(1024) }]);
    await crafted('run-dev-zero', [modelFile, { name: 'holdout.jsonl.gz', data: small }], 'file:///dev/zero');
    // A link to /dev/zero in place of a holdout its manifest lists.
    const linkUri = `${pathToFileURL(join(dir, 'run-link')).href}/`;
    const linkSha = await writeCrafted(store, linkUri, 'run-link', [modelFile, { name: 'holdout.jsonl.gz', data: small }]);
    rmSync(join(dir, 'run-link', 'holdout.jsonl.gz'));
    symlinkSync('/dev/zero', join(dir, 'run-link', 'holdout.jsonl.gz'));
    await publish('run-link', linkUri, linkSha);
    // An artifact outside ARTIFACT_ROOT.
    const elsewhere = mkdtempSync(join(tmpdir(), 'roundhouse-elsewhere-'));
    try {
      const outsideUri = `${pathToFileURL(elsewhere).href}/run-outside/`;
      await publish('run-outside', outsideUri, await writeCrafted(new FileArtifactStore(pathToFileURL(elsewhere).href), outsideUri, 'run-outside', [modelFile]));

      const judged = (await evaluationsOnKafka(before + 5)).filter((e) => e.runId.startsWith('run-') && !['run-good', 'run-shuffled'].includes(e.runId));
      const reasons = Object.fromEntries(judged.map((e) => [e.runId, [e.decision, e.gates.find((g) => g.gate === 'artifact-integrity')!.detail]]));
      expect(reasons).toEqual({
        'run-buckets': ['REJECT', expect.stringMatching(/buckets/)],
        'run-bomb': ['REJECT', expect.stringMatching(/run-bomb\/holdout\.jsonl\.gz: expands past 268435456 bytes/)],
        'run-dev-zero': ['REJECT', expect.stringMatching(/file:\/\/\/dev\/zero: the holdout is outside the verified artifact directory/)],
        'run-link': ['REJECT', expect.stringMatching(/run-link\/holdout\.jsonl\.gz: refused by the artifact store: .*outside this store's root/)],
        'run-outside': ['REJECT', expect.stringMatching(/outside this store's root/)],
      });
      await resultsCaughtUp();
      expect(child.exitCode).toBeNull();
      expect(child.signalCode).toBeNull();
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
