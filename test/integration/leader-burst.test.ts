/**
 * Issue 14 on the real stack: two dispatcher and two evaluator processes
 * (main.ts, leader election on Leases of the real API server), a burst of 200
 * RetrainRequested on the real broker, and a SIGKILL of each leader in the
 * middle of it. Kubernetes Jobs run on kwok (their pods succeed at once); the
 * trainer's part, a TrainingCompleted with a real artifact under a verified
 * manifest, is played by this test for every run it sees RUNNING.
 *
 * Asserted: exactly 200 runs, one per request; one Job per run; each run's
 * TrainingRun events form one sequence (no state twice, sequence numbers
 * increasing, each step from the previous state); one evaluation per run; each
 * model's ModelReady versions 1, 2, … without a gap or a repeat. The takeover
 * times are printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileArtifactStore } from '../../lib/artifacts/file-store';
import { catalogText, minimalModel } from '../../lib/catalog/test-helpers';
import { AvroCodec, createPlatformCodec, topicNames, type PlatformCodec } from '../../lib/codec';
import type { EventTypes } from '../../lib/events/decode';
import type { EventName } from '../../lib/events/schemas';
import type { RetrainRequested, TrainingRun } from '../../lib/events';
import type { KafkaEventBus } from '../../lib/kafka';
import { completed, holdoutMetrics, retrainRequest, trainModels, writeArtifact } from '../../services/evaluator/testing/fixtures';
import { kafkaBus, registryClient, stackEnv, uniqueName } from '../helpers';
import { adminKubeConfig, createTestNamespace, k8s, kwokPlacement, waitUntil, type TestNamespace } from '../helpers/kubernetes';
import { leads, ready, spawnService, stopAll, type ServiceKind, type ServiceProcess } from '../helpers/processes';

const MODELS = 20;
const ROUNDS = 10; // requests per model: MODELS × ROUNDS = 200
const PARTITIONS = 2;
const TIMINGS = { leaseDurationMs: 5_000, renewDeadlineMs: 3_000, retryPeriodMs: 1_000 };

jest.setTimeout(1_200_000);

const modelIds = Array.from({ length: MODELS }, (_, m) => `burst-${String(m).padStart(2, '0')}`);

function catalogYaml(): string {
  const features = trainModels().features.map((name) => ({ name, type: 'numeric' }));
  return catalogText({
    version: 1,
    models: modelIds.map((id) => {
      const base = minimalModel(id) as { data: Record<string, unknown> };
      return {
        ...base,
        data: { ...base.data, labelField: 'is_fraud', features },
        training: {
          image: 'registry.invalid/trainer:1',
          command: ['trainer'],
          retries: 0,
          deadline: '10m',
          ttlAfterFinished: null,
          nodeSelector: kwokPlacement.nodeSelector,
          tolerations: kwokPlacement.tolerations.map((t) => ({ key: t.key, operator: t.operator, value: t.value, effect: t.effect })),
        },
        evaluation: {
          gates: [
            { metric: 'rocAuc', min: 0.65 },
            { metric: 'rocAuc', maxDrop: 0.01 },
          ],
          minHoldoutRows: 500,
          minHoldoutPositives: 30,
          maxCalibrationError: 0.5,
        },
      };
    }),
  });
}

/** Every record of a topic, decoded (read_committed: what the services' transactions committed). */
async function readTopic<N extends EventName>(bus: KafkaEventBus, codec: PlatformCodec, name: N): Promise<EventTypes[N][]> {
  const topic = codec.topicOf(name);
  const ends = await bus.endOffsets(topic);
  const out: EventTypes[N][] = [];
  await bus.readRange(topic, [...ends].map(([partition, end]) => ({ partition, startOffset: '0', endOffset: end })), async (messages) => {
    for (const m of messages) out.push(codec.decode(name, m.value));
  });
  return out;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

describe('two dispatchers and two evaluators, a burst of 200 requests, each leader SIGKILLed mid-burst', () => {
  const services: ServiceProcess[] = [];
  let ns: TestNamespace;
  let workDir: string;
  let bus: KafkaEventBus;
  let codec: PlatformCodec;

  beforeAll(async () => {
    ns = await createTestNamespace('rh-burst');
    workDir = mkdtempSync(join(tmpdir(), 'rh-burst-'));
    await adminKubeConfig()
      .makeApiClient(k8s().CoreV1Api)
      .createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'roundhouse-trainer' } } });
  });
  afterAll(async () => {
    await stopAll(services);
    await bus?.close();
    await ns?.delete();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('exactly 200 runs, one Job each, one TrainingRun sequence per run, one evaluation per run, versions strictly increasing; takeover times printed', async () => {
    const prefix = `${uniqueName('burst')}.`;
    codec = await createPlatformCodec(new AvroCodec(registryClient()), topicNames(prefix));
    bus = kafkaBus(PARTITIONS);
    const catalogPath = join(workDir, 'catalog.yaml');
    writeFileSync(catalogPath, catalogYaml());
    const store = new FileArtifactStore(pathToFileURL(workDir).href);
    const env = (kind: ServiceKind): Record<string, string> => {
      const p = kind === 'dispatcher' ? 'DISPATCHER' : 'EVALUATOR';
      return {
        KAFKA_BROKERS: stackEnv().brokers.join(','),
        SCHEMA_REGISTRY_URL: stackEnv().registryUrl,
        KUBECONFIG: String(process.env.KUBECONFIG),
        KUBERNETES_NAMESPACE: ns.name,
        ROUNDHOUSE_TOPIC_PREFIX: prefix,
        ROUNDHOUSE_CATALOG: catalogPath,
        ARTIFACT_ROOT: pathToFileURL(workDir).href,
        KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
        LOG_LEVEL: 'warn',
        [`${p}_LEASE_DURATION`]: `${TIMINGS.leaseDurationMs}ms`,
        [`${p}_LEASE_RENEW_DEADLINE`]: `${TIMINGS.renewDeadlineMs}ms`,
        [`${p}_LEASE_RETRY_PERIOD`]: `${TIMINGS.retryPeriodMs}ms`,
        ...(kind === 'dispatcher' ? { DISPATCHER_MAX_CONCURRENT_RUNS: String(MODELS), DISPATCHER_RESYNC_INTERVAL: '1s' } : {}),
      };
    };
    const start = (kind: ServiceKind, name: string) => spawnService(kind, name, { env: env(kind), into: services });

    const dispatcherA = await start('dispatcher', 'dispatcher-a');
    await waitUntil('dispatcher-a to lead and be ready', async () => (await leads(dispatcherA)) && (await ready(dispatcherA)), { timeoutMs: 120_000 });
    const dispatcherB = await start('dispatcher', 'dispatcher-b');
    const evaluatorA = await start('evaluator', 'evaluator-a');
    await waitUntil('evaluator-a to lead and be ready', async () => (await leads(evaluatorA)) && (await ready(evaluatorA)), { timeoutMs: 120_000 });
    const evaluatorB = await start('evaluator', 'evaluator-b');
    await waitUntil('the standbys to be ready', async () => (await ready(dispatcherB)) && (await ready(evaluatorB)) && !(await leads(dispatcherB)) && !(await leads(evaluatorB)), { timeoutMs: 120_000 });

    // The trainer's part: one TrainingCompleted per run seen RUNNING, with a real artifact.
    const { good, holdout } = trainModels();
    const metrics = holdoutMetrics(good, holdout);
    const trained = new Set<string>();
    let playing = true;
    const player = (async () => {
      while (playing) {
        const runs = await readTopic(bus, codec, 'TrainingRun').catch(() => [] as TrainingRun[]);
        for (const run of runs) {
          if (run.state !== 'RUNNING' || trained.has(run.runId)) continue;
          trained.add(run.runId);
          const uri = `${pathToFileURL(join(workDir, 'artifacts', run.runId)).href}/`;
          const sha = await writeArtifact(store, uri, { runId: run.runId, modelId: run.modelId, model: good });
          await bus.publish([codec.message('TrainingCompleted', completed({ runId: run.runId, requestId: run.requestId, modelId: run.modelId, artifactUri: uri, sha256: sha, metrics }))]);
        }
        await new Promise((done) => setTimeout(done, 500));
      }
    })();

    const requests: RetrainRequested[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const modelId of modelIds) {
        const now = Date.now();
        requests.push({ ...retrainRequest(`${modelId}-r${round}`, now, now), modelId, window: { startTime: now - 3_600_000, endTime: now, partitions: [] } });
      }
    }
    const publish = (from: number, to: number) => bus.publish(requests.slice(from, to).map((r) => codec.message('RetrainRequested', r)));
    const runsSeen = async () => new Set((await readTopic(bus, codec, 'TrainingRun')).map((r) => r.runId)).size;
    const promoted = async () => (await readTopic(bus, codec, 'ModelReady')).length;

    // First quarter, then SIGKILL the dispatcher leader with runs in flight.
    await publish(0, 50);
    await waitUntil('the first runs to be recorded', async () => (await runsSeen()) >= 20, { timeoutMs: 300_000, intervalMs: 500 });
    await publish(50, 100);
    const inFlight = async () => {
      const runs = await readTopic(bus, codec, 'TrainingRun');
      const ended = new Set(runs.filter((r) => TERMINAL.has(r.state)).map((r) => r.runId));
      return { recorded: new Set(runs.map((r) => r.runId)).size, ended: ended.size };
    };
    const atDispatcherKill = await inFlight();
    dispatcherA.child.kill('SIGKILL');
    const dispatcherKilledAt = Date.now();
    await waitUntil('dispatcher-b to lead', () => leads(dispatcherB), { timeoutMs: 6 * TIMINGS.leaseDurationMs, intervalMs: 100 });
    const dispatcherLeads = Date.now() - dispatcherKilledAt;
    await waitUntil('dispatcher-b to be ready as leader', () => ready(dispatcherB), { timeoutMs: 120_000, intervalMs: 100 });
    const dispatcherReady = Date.now() - dispatcherKilledAt;

    // Second quarter, then SIGKILL the evaluator leader once it has promoted some.
    await publish(100, 150);
    await waitUntil('some promotions', async () => (await promoted()) >= 5, { timeoutMs: 300_000, intervalMs: 500 });
    const atEvaluatorKill = { ...(await inFlight()), promoted: await promoted() };
    evaluatorA.child.kill('SIGKILL');
    const evaluatorKilledAt = Date.now();
    await waitUntil('evaluator-b to lead', () => leads(evaluatorB), { timeoutMs: 6 * TIMINGS.leaseDurationMs, intervalMs: 100 });
    const evaluatorLeads = Date.now() - evaluatorKilledAt;
    await waitUntil('evaluator-b to be ready as leader', () => ready(evaluatorB), { timeoutMs: 120_000, intervalMs: 100 });
    const evaluatorReady = Date.now() - evaluatorKilledAt;
    await publish(150, 200);

    // Everything settles: 200 runs ended, one evaluation each.
    await waitUntil(
      '200 runs ended and evaluated',
      async () => {
        const runs = await readTopic(bus, codec, 'TrainingRun');
        const ended = new Set(runs.filter((r) => TERMINAL.has(r.state)).map((r) => r.runId));
        const evaluated = new Set((await readTopic(bus, codec, 'ModelEvaluated')).map((e) => e.runId));
        return ended.size >= 200 && evaluated.size >= 200;
      },
      { timeoutMs: 900_000, intervalMs: 2_000 },
    );
    playing = false;
    await player;
    console.log(
      `burst of 200 with failover (processes, real API server and Kafka, lease ${TIMINGS.leaseDurationMs} ms): ` +
        `dispatcher SIGKILL (100 of 200 requests published, ${atDispatcherKill.recorded} runs recorded, ${atDispatcherKill.ended} ended) → standby leads ${dispatcherLeads} ms, ready ${dispatcherReady} ms; ` +
        `evaluator SIGKILL (150 published, ${atEvaluatorKill.recorded} runs recorded, ${atEvaluatorKill.ended} ended, ${atEvaluatorKill.promoted} promoted) → standby leads ${evaluatorLeads} ms, ready ${evaluatorReady} ms`,
    );
    // Both kills hit the middle of the burst: runs in flight, more requests to come.
    expect(atDispatcherKill.ended).toBeLessThan(100);
    expect(atEvaluatorKill.promoted).toBeLessThan(150);

    // Exactly one run per request, 200 in all.
    const runEvents = await readTopic(bus, codec, 'TrainingRun');
    const runsOfRequest = new Map<string, Set<string>>();
    for (const e of runEvents) runsOfRequest.set(e.requestId, (runsOfRequest.get(e.requestId) ?? new Set()).add(e.runId));
    expect(runsOfRequest.size).toBe(200);
    expect([...runsOfRequest].filter(([, runs]) => runs.size !== 1)).toEqual([]);
    expect(new Set(runEvents.map((e) => e.runId)).size).toBe(200);

    // One sequence per run: each state once, sequence numbers increasing, each step from the state before it.
    const byRun = new Map<string, TrainingRun[]>();
    for (const e of runEvents) byRun.set(e.runId, [...(byRun.get(e.runId) ?? []), e]);
    const broken: string[] = [];
    for (const [runId, events] of byRun) {
      const ordered = [...events].sort((a, b) => Number(a.sequence) - Number(b.sequence));
      const states = ordered.map((e) => e.state);
      if (new Set(states).size !== states.length) broken.push(`${runId}: a state twice: ${states.join(' → ')}`);
      if (new Set(ordered.map((e) => Number(e.sequence))).size !== ordered.length) broken.push(`${runId}: a sequence number twice`);
      ordered.forEach((e, i) => {
        if (i > 0 && e.previousState !== ordered[i - 1]!.state) broken.push(`${runId}: ${e.previousState} → ${e.state} after ${ordered[i - 1]!.state}`);
      });
      if (states.at(-1) !== 'SUCCEEDED') broken.push(`${runId}: ended ${states.at(-1)}`);
    }
    expect(broken).toEqual([]);

    // One Job per run.
    const jobs = (await adminKubeConfig().makeApiClient(k8s().BatchV1Api).listNamespacedJob({ namespace: ns.name })).items;
    const jobsOfRun = new Map<string, number>();
    for (const job of jobs) {
      const runId = job.metadata?.labels?.['roundhouse.dev/run-id'] ?? '?';
      jobsOfRun.set(runId, (jobsOfRun.get(runId) ?? 0) + 1);
    }
    expect(jobs.length).toBe(200);
    expect([...byRun.keys()].filter((runId) => jobsOfRun.get(runId) !== 1)).toEqual([]);

    // One evaluation per run; each model's versions 1, 2, … in publication order.
    const evaluations = await readTopic(bus, codec, 'ModelEvaluated');
    const evaluationsOfRun = new Map<string, number>();
    for (const e of evaluations) evaluationsOfRun.set(e.runId, (evaluationsOfRun.get(e.runId) ?? 0) + 1);
    expect([...evaluationsOfRun].filter(([, n]) => n !== 1)).toEqual([]);
    expect(evaluationsOfRun.size).toBe(200);
    const readies = await readTopic(bus, codec, 'ModelReady');
    const promotions = evaluations.filter((e) => e.decision === 'PROMOTE');
    expect(readies.length).toBe(promotions.length);
    expect(readies.length).toBeGreaterThanOrEqual(MODELS);
    console.log(`burst: ${runEvents.length} TrainingRun events for 200 runs, ${jobs.length} Jobs, ${evaluations.length} evaluations, ${promotions.length} promotions`);
    for (const modelId of modelIds) {
      const versions = readies.filter((r) => r.modelId === modelId).map((r) => r.version);
      expect({ modelId, versions }).toEqual({ modelId, versions: versions.map((_, i) => i + 1) });
    }
  });
});
