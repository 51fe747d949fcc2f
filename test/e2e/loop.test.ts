/**
 * The whole loop on the real stack (Kafka, Apicurio, the Kubernetes control
 * plane), observed from outside through Kafka and the API server:
 *
 *   card stream drifts → trigger: RetrainRequested (DRIFT) → dispatcher: a Job in
 *   the namespace (as its k8s/rbac ServiceAccount) → scheduler binds the pod to
 *   the test node agent's node → the agent runs the Job's own command (the
 *   built-in trainer) → TrainingCompleted → evaluator: ModelEvaluated (PROMOTE)
 *   and ModelReady version 2 → the trigger judges against version 2's profile.
 *
 * Champion version 1 is the built-in trainer run in-process on the pre-drift
 * window and promoted by the evaluator (first model: absolute gates only).
 * See docs/testing.md.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Gauge } from 'prom-client';
import { artifactStoreFor } from '../../lib/artifacts/store-for';
import { loadCatalog } from '../../lib/catalog';
import { systemClock } from '../../lib/clock';
import { AvroCodec, createPlatformCodec, topicNames } from '../../lib/codec';
import { loadConfig, type RawEnv } from '../../lib/config';
import { verifyArtifact } from '../../lib/artifacts/manifest';
import { createLogger } from '../../lib/log';
import { DRIFT_AFFECTS } from '../../lib/synthetic';
import { runIdFor } from '../../services/dispatcher/core/names';
import { runSpecFor } from '../../services/trainer/testing/fixtures';
import { runTraining } from '../../services/trainer/train';
import { NodeAgent } from '../agent/node-agent';
import { kafkaBus, registryClient, stackEnv, uniqueName, waitFor } from '../helpers';
import { adminKubeConfig, createTestNamespace, k8s, serviceAccountKubeConfig, waitUntil } from '../helpers/kubernetes';
import { emptyPrefix, s3ProcessEnv, s3Store, s3TestRoot } from '../helpers/s3';
import { cardEvents, cardTimeline, produceTimeline } from './cards';
import { LOOKBACK_MS, MODEL_ID, WINDOW_MS, e2eCatalogYaml } from './catalog';
import { DISPATCHER_SERVICE_ACCOUNT, TRAINER_SERVICE_ACCOUNT, applyRbac } from './rbac';
import { startRecorder, type Recorded } from './recorder';
import { startDispatcher, startEvaluator, startTrigger, type ServiceContext } from './services';
import { Teardown } from './teardown';

const ROOT = path.join(__dirname, '..', '..');
const EVENTS_PER_SECOND = 50;
/** Four 60 s windows before the drift, two after (the second stays open: nothing closes it). */
const PRE_DRIFT = 12_000;
const POST_DRIFT = 6_000;
const DRIFT = { amountScale: 3, velocityScale: 2 } as const;
const MINUTE = 60_000;

function summary(seen: Recorded): string {
  return JSON.stringify(
    {
      requests: seen.requests.map((r) => ({ requestId: r.requestId, reason: r.reason, windowStart: r.drift?.windowStart, windowEnd: r.drift?.windowEnd })),
      runs: seen.runs.map((r) => `${r.runId} ${r.state}${r.message ? ` (${r.message})` : ''}`),
      results: seen.results.map((r) => ({ runId: r.runId, status: r.status, failure: r.failure })),
      evaluations: seen.evaluations.map((e) => ({ runId: e.runId, decision: e.decision, failed: e.gates.filter((g) => !g.passed).map((g) => `${g.gate}: ${g.detail ?? ''}`) })),
      ready: seen.ready.map((r) => ({ version: r.version, runId: r.lineage.runId })),
      undecodable: seen.undecodable,
    },
    null,
    2,
  );
}

/**
 * Where the artifacts go: a file:// directory, or s3:// on the stack's SeaweedFS.
 * With s3://, the services get the endpoint through lib/config and their
 * credentials through the AWS SDK's default chain (AWS_* in the environment);
 * the trainer Job gets them only by secretKeyRef to a Secret in its namespace
 * (DISPATCHER_S3_CREDENTIALS_SECRET), which the node agent resolves as a kubelet would.
 */
const ARTIFACT_STORES: readonly ('file' | 's3')[] = ['file', 's3'];
const S3_SECRET = 'roundhouse-s3';

describe.each(ARTIFACT_STORES)('the loop, end to end on Kafka, the registry and the Kubernetes API server (artifacts on %s)', (store) => {
  it('drift → RetrainRequested → Job → trainer pod on the agent → TrainingCompleted → ModelEvaluated → ModelReady v2 → trigger baseline v2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'roundhouse-e2e-'));
    const restoreEnv: Record<string, string | undefined> = {};
    // Appended synchronously: nothing to close, and a late line after teardown cannot fail.
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => appendFileSync(path.join(dir, 'services.log'), line) } });
    const t0 = Date.now();
    const step = (what: string): void => appendFileSync(path.join(dir, 'agent.log'), `[e2e +${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}\n`);
    const teardown = new Teardown(step);
    let agent: NodeAgent | undefined;
    let seen: Recorded | undefined;
    let passed = false;

    try {
      // ---- Kubernetes: a namespace with k8s/rbac, the dispatcher's token, a node of our own.
      const admin = adminKubeConfig();
      const ns = await createTestNamespace('rh-e2e', admin);
      teardown.add('namespace', () => ns.delete());
      mkdirSync(path.join(dir, 'pods'));
      agent = await NodeAgent.start({ kubeConfig: admin, repoRoot: ROOT, workDir: path.join(dir, 'pods'), log: (line) => step(line) });
      const nodeAgent = agent;
      teardown.add('node agent', () => nodeAgent.stop());
      await applyRbac(admin, ns.name);
      const dispatcherKc = await serviceAccountKubeConfig(ns.name, DISPATCHER_SERVICE_ACCOUNT, { admin });
      await waitUntil('the RoleBinding to take effect', () => dispatcherKc.makeApiClient(k8s().BatchV1Api).listNamespacedJob({ namespace: ns.name }), { timeoutMs: 30_000 });
      step(`namespace ${ns.name}, node ${agent.name}`);

      // ---- One deployment: its topic prefix, catalog file, artifact root and environment.
      const prefix = `${uniqueName('e2e')}.`;
      const featureTopic = `${prefix}fraud.features`;
      const labelTopic = `${prefix}fraud.labels`;
      const catalogPath = path.join(dir, 'catalog.yaml');
      writeFileSync(catalogPath, e2eCatalogYaml({ featureTopic, labelTopic, placement: agent.placement }));
      const artifactRoot = store === 's3' ? s3TestRoot('e2e').replace(/\/$/, '') : pathToFileURL(path.join(dir, 'artifacts')).href;
      let s3Env: RawEnv = {};
      if (store === 's3') {
        const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...settings } = s3ProcessEnv();
        // The in-process services' default credential chain reads these, as theirs would in a pod.
        for (const [k, v] of Object.entries({ AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY })) {
          restoreEnv[k] = process.env[k];
          process.env[k] = v;
        }
        await admin.makeApiClient(k8s().CoreV1Api).createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: S3_SECRET }, stringData: { AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: AWS_SECRET_ACCESS_KEY! } } });
        s3Env = { ...settings, DISPATCHER_S3_CREDENTIALS_SECRET: S3_SECRET };
        teardown.add('s3 objects', () => emptyPrefix(`${artifactRoot}/`));
      }
      const { brokers, registryUrl } = stackEnv();
      const env: RawEnv = {
        KAFKA_BROKERS: brokers.join(','),
        SCHEMA_REGISTRY_URL: registryUrl,
        ROUNDHOUSE_TOPIC_PREFIX: prefix,
        ROUNDHOUSE_CATALOG: catalogPath,
        ROUNDHOUSE_INSTANCE_ID: 'e2e-0',
        ARTIFACT_ROOT: artifactRoot,
        LOG_LEVEL: 'info',
        KUBECONFIG: process.env.KUBECONFIG,
        KUBERNETES_NAMESPACE: ns.name,
        DISPATCHER_EXECUTOR: 'kubernetes',
        DISPATCHER_RESYNC_INTERVAL: '5s',
        DISPATCHER_TRAINER_SERVICE_ACCOUNT: TRAINER_SERVICE_ACCOUNT,
        ...s3Env,
      };
      const model = loadCatalog(catalogPath).models[0]!;
      const codec = await createPlatformCodec(new AvroCodec(registryClient()), topicNames(prefix));
      const bus = kafkaBus(3);
      teardown.add('producer bus', () => bus.close());
      await bus.ensureTopics([
        { name: featureTopic, partitions: 3 },
        { name: labelTopic, partitions: 3 },
        { name: codec.topics.retrainRequests },
        { name: codec.topics.trainingRuns },
        { name: codec.topics.trainingResults },
        { name: codec.topics.evaluations },
        { name: codec.topics.modelReady, compacted: true },
      ]);
      const recorder = await startRecorder(codec);
      seen = recorder.seen;
      teardown.add('recorder', () => recorder.stop());
      // The services stop side by side, before the recorder, the agent and the namespace.
      const ctx: ServiceContext = { env, codec, logger, onTeardown: teardown.group('services') };

      // ---- The card stream: two hours ago, aligned to a window, drifting from event PRE_DRIFT on.
      const start = Math.floor((Date.now() - 2 * 3_600_000) / WINDOW_MS) * WINDOW_MS;
      const driftAt = start + (PRE_DRIFT * 1000) / EVENTS_PER_SECOND;
      const events = cardEvents(PRE_DRIFT + POST_DRIFT, { seed: 7, startTime: start, eventsPerSecond: EVENTS_PER_SECOND, fraudRate: 0.03, drift: { fromIndex: PRE_DRIFT, ...DRIFT } });
      const timeline = await cardTimeline(codec.avro, { featureTopic, labelTopic }, events);
      await produceTimeline(
        bus,
        timeline.filter((t) => t.time < driftAt),
      );
      step('pre-drift stream produced');

      // ---- Champion v1: the built-in trainer in-process on the pre-drift window; the evaluator promotes it.
      await startEvaluator(ctx);
      const championRun = 'e2e-champion-v1';
      const v1 = await runTraining(runSpecFor(model, { runId: championRun, startTime: start, endTime: driftAt, artifactUri: `${artifactRoot}/${MODEL_ID}/${championRun}/` }), {
        bus,
        avroCodec: codec.avro,
        platformCodec: codec,
        artifacts: artifactStoreFor(artifactRoot, { s3: loadConfig(env).s3 }),
        clock: systemClock,
        logger: logger.child({ service: 'trainer-v1' }),
      });
      expect({ exitCode: v1.exitCode, failure: v1.failure }).toEqual({ exitCode: 0, failure: null });
      await waitFor(() => recorder.seen.ready.find((r) => r.version === 1), 'ModelReady version 1', 120_000);
      step('champion v1 promoted');

      // ---- The rest of the loop, then the drift.
      const dispatcher = await startDispatcher(ctx, dispatcherKc);
      const trigger = await startTrigger(ctx);
      expect(trigger.app.championVersions().get(MODEL_ID)).toBe(1);
      step('trigger and dispatcher started');
      await produceTimeline(
        bus,
        timeline.filter((t) => t.time >= driftAt),
      );
      step('post-drift stream produced');

      // 1. The trigger asks for a retrain because of the drift, with the evidence, once.
      const request = await waitFor(() => recorder.seen.requests[0], 'a RetrainRequested', 300_000);
      step(`request ${request.requestId}`);
      expect(request).toMatchObject({ modelId: MODEL_ID, reason: 'DRIFT', championVersion: 1, requestedBy: 'trigger' });
      const drift = request.drift!;
      // The first window after the drift, not a false alarm before it.
      expect(drift.windowStart).toBeGreaterThanOrEqual(driftAt);
      expect(drift.windowEnd).toBeLessThanOrEqual(driftAt + WINDOW_MS);
      const drifted = drift.features.filter((f) => f.drifted).map((f) => f.feature);
      expect(drifted).toContain('amount');
      const affected = new Set<string>([...DRIFT_AFFECTS.amountScale, ...DRIFT_AFFECTS.velocityScale]);
      expect(drifted.filter((f) => !affected.has(f))).toEqual([]);
      expect(request.window).toEqual({ startTime: request.requestedAt - LOOKBACK_MS, endTime: request.requestedAt, partitions: [] });

      // 2. The dispatcher made one Job for the run, in the namespace, with the run's labels.
      const runId = runIdFor(request.requestId);
      const batch = admin.makeApiClient(k8s().BatchV1Api);
      const [job] = await waitUntil(
        `the Job of run ${runId}`,
        async () => {
          const jobs = (await batch.listNamespacedJob({ namespace: ns.name, labelSelector: `roundhouse.dev/run-id=${runId}` })).items;
          return jobs.length > 0 ? jobs : undefined;
        },
        { timeoutMs: 120_000 },
      );
      const jobName = job!.metadata!.name!;
      expect(job!.metadata!.labels).toMatchObject({ 'roundhouse.dev/model': MODEL_ID, 'roundhouse.dev/run-id': runId, 'app.kubernetes.io/managed-by': 'roundhouse-dispatcher' });
      step(`job ${jobName}`);

      // 3. The agent ran the trainer pod: the Job's command (dist → source), the Job's environment, exit 0.
      const pod = await waitUntil(`the agent to run run ${runId}'s pod`, () => nodeAgent.runs().find((r) => r.labels['roundhouse.dev/run-id'] === runId), { timeoutMs: 120_000 });
      // Complete or Failed, whichever comes: a failed Job fails the test now, with its reason.
      const finished = await waitUntil(
        `Job ${jobName} to finish`,
        async () => (await batch.readNamespacedJob({ name: jobName, namespace: ns.name })).status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'),
        { timeoutMs: 600_000 },
      );
      expect({ type: finished.type, reason: finished.reason ?? null, message: finished.message ?? null }).toMatchObject({ type: 'Complete' });
      step('job complete');
      const container = job!.spec!.template.spec!.containers[0]!;
      expect(container.command).toEqual(['node', 'dist/services/trainer/main.js']);
      expect({ file: pod.file, args: pod.args, translated: pod.translated, refused: pod.refused }).toEqual({
        file: process.execPath,
        args: ['--import', 'tsx', 'services/trainer/main.ts'],
        translated: true,
        refused: null,
      });
      // An optional secretKeyRef whose key the Secret lacks (AWS_SESSION_TOKEN) is left out, as a kubelet does.
      expect(pod.envNames).toEqual((container.env ?? []).filter((e) => !e.valueFrom?.secretKeyRef?.optional).map((e) => e.name));
      expect(pod.envNames).toEqual(expect.arrayContaining(['ROUNDHOUSE_RUN_SPEC_FILE', 'KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'ROUNDHOUSE_TOPIC_PREFIX']));
      if (store === 's3') {
        // The trainer reached S3 with credentials it got by reference only: none in clear in the Job.
        expect(pod.envNames).toEqual(expect.arrayContaining(['ROUNDHOUSE_S3_ENDPOINT', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']));
        expect(container.env!.find((e) => e.name === 'AWS_SECRET_ACCESS_KEY')).toEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: S3_SECRET, key: 'AWS_SECRET_ACCESS_KEY' } } });
        expect(JSON.stringify(job)).not.toContain(s3ProcessEnv().AWS_SECRET_ACCESS_KEY);
      }
      expect(pod.exit).toMatchObject({ exitCode: 0, signal: null });
      expect(await batch.listNamespacedJob({ namespace: ns.name, labelSelector: `roundhouse.dev/run-id=${runId}` }).then((l) => l.items.length)).toBe(1);

      // 4. The trainer's result, the dispatcher's run states.
      const result = await waitFor(() => recorder.seen.results.find((r) => r.runId === runId), `TrainingCompleted of ${runId}`, 120_000);
      // The run attempt's directory: <root>/<model>/<runId>-<nonce>/, the nonce from the run record (and on the Job).
      const nonce = job!.metadata!.annotations!['roundhouse.dev/run-nonce'];
      expect(nonce).toMatch(/^[0-9a-f]{8}$/);
      expect(result).toMatchObject({ status: 'SUCCEEDED', failure: null, requestId: request.requestId, modelId: MODEL_ID, artifactUri: `${artifactRoot}/${MODEL_ID}/${runId}-${nonce}/` });
      expect({ startTime: result.dataWindow.startTime, endTime: result.dataWindow.endTime }).toEqual({ startTime: request.window.startTime, endTime: request.window.endTime });
      await waitFor(() => recorder.seen.runs.some((r) => r.runId === runId && r.state === 'SUCCEEDED'), `run ${runId} SUCCEEDED`, 120_000);
      const states = recorder.seen.runs.filter((r) => r.runId === runId);
      expect(states.map((r) => r.state)).toEqual(expect.arrayContaining(['QUEUED', 'SUBMITTED', 'SUCCEEDED']));
      expect(states.at(-1)).toMatchObject({ state: 'SUCCEEDED', executor: 'kubernetes', jobName });
      expect(dispatcher.engine.store.get(runId)?.state).toBe('SUCCEEDED');

      // 5. The evaluator judged the candidate against champion v1 on the same holdout and promoted it.
      const evaluation = await waitFor(() => recorder.seen.evaluations.find((e) => e.runId === runId), `ModelEvaluated of ${runId}`, 120_000);
      step(`evaluation ${evaluation.decision}: ${evaluation.gates.map((g) => `${g.gate} ${g.detail ?? ''}`).join('; ')}`);
      expect(evaluation).toMatchObject({ decision: 'PROMOTE', mode: 'RESCORED', championVersion: 1 });
      const v2 = await waitFor(() => recorder.seen.ready.find((r) => r.version === 2), 'ModelReady version 2', 120_000);
      expect(v2).toMatchObject({ modelId: MODEL_ID, cause: 'PROMOTION', artifactUri: result.artifactUri, artifactSha256: result.artifactSha256 });
      expect(v2.lineage).toMatchObject({ requestId: request.requestId, runId, evaluationId: evaluation.evaluationId, reason: 'DRIFT', parentVersion: 1 });
      expect(v2.lineage.driftEvidence).toEqual(request.drift);
      expect(v2.profile).toEqual(result.profile);
      if (store === 's3') {
        // What was promoted is on S3 under the run's prefix, and verifies from its digest.
        const reader = s3Store(`${artifactRoot}/`);
        try {
          await verifyArtifact(reader, v2.artifactUri, v2.artifactSha256);
        } finally {
          reader.destroy();
        }
        expect(v2.artifactUri.startsWith(`${artifactRoot}/${MODEL_ID}/`)).toBe(true);
      }
      step('v2 promoted');

      // 6. The loop closes: the trigger now judges against version 2's training profile.
      await waitFor(() => trigger.app.championVersions().get(MODEL_ID) === 2, 'the trigger to adopt version 2', 60_000);
      const gauge = trigger.metrics.registry.getSingleMetric('roundhouse_trigger_champion_version') as Gauge | undefined;
      expect((await gauge!.get()).values.find((v) => v.labels.model === MODEL_ID)?.value).toBe(2);

      // One drift, one request (cooldown), one run, nothing undecodable.
      expect(recorder.seen.requests).toHaveLength(1);
      expect(recorder.seen.undecodable).toEqual([]);
      step('done');
      passed = true;
    } catch (error) {
      const runs = agent?.runs() ?? [];
      process.stderr.write(
        `\ne2e failed; logs kept in ${dir}\nevents seen: ${seen ? summary(seen) : '(none)'}\n` +
          runs.map((r) => `pod ${r.namespace}/${r.name}: ${r.file} ${r.args.join(' ')} → ${JSON.stringify(r.exit ?? r.refused)}\n${agent!.output(r).slice(-3000)}`).join('\n') +
          '\n',
      );
      throw error;
    } finally {
      const failures = await teardown.run();
      for (const [k, v] of Object.entries(restoreEnv)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      if (passed) {
        expect(failures).toEqual([]);
        // ROUNDHOUSE_E2E_KEEP=1 keeps the logs, catalog, artifacts and pod output of a passing run too.
        if (process.env.ROUNDHOUSE_E2E_KEEP === '1') process.stderr.write(`e2e logs kept in ${dir}\n`);
        else rmSync(dir, { recursive: true, force: true });
      } else if (failures.length > 0) {
        process.stderr.write(`teardown problems: ${failures.join('; ')}\n`);
      }
    }
  }, 20 * MINUTE);
});
