import { artifactStoreFor } from '../../lib/artifacts/store-for';
import { loadCatalog } from '../../lib/catalog';
import { systemClock } from '../../lib/clock';
import { createLeadership, leaderIdentity, leaderReadiness, whileLeader } from '../../lib/leader';
import { createRuntime, runMain } from '../../lib/runtime';
import { createEvaluatorApp } from './app';
import { loadEvaluatorSettings } from './settings';

/**
 * The evaluator's composition root: Kafka + registry from the environment (the
 * in-memory bus only for the embedded demo), the catalog, the artifact store for
 * ARTIFACT_ROOT's scheme (file:// or s3://), probes and metrics, graceful shutdown.
 *
 * Two replicas (lib/leader, docs/leader-election.md): only the one holding the
 * Lease starts the app (follow state, consume results and commands), so
 * versions are numbered by one process. It loses the Lease → it stops and
 * exits 75, and Kubernetes restarts it as a standby. Without a cluster: always
 * the leader.
 */
runMain('evaluator', async () => {
  const runtime = await createRuntime('evaluator');
  const settings = loadEvaluatorSettings(process.env, runtime.config);
  const catalog = loadCatalog(runtime.config.catalogPath);
  const leadership = createLeadership({
    settings: settings.leader,
    kubeconfigPath: settings.kubeconfigPath,
    identity: leaderIdentity(runtime.instanceId),
    clock: systemClock,
    logger: runtime.logger,
    metrics: runtime.metrics,
  });
  // Stopped after the app (parts stop in reverse): the Lease is released once nothing is consumed any more.
  runtime.shutdown.add({ name: 'leadership', stop: () => leadership.stop() });
  const readiness = leaderReadiness(runtime.readiness, leadership, { now: () => systemClock.now(), staleAfterMs: settings.leader.leaseDurationMs });
  const app = createEvaluatorApp({
    bus: runtime.bus,
    codec: runtime.codec,
    catalog,
    artifacts: artifactStoreFor(runtime.config.artifactRoot, { baseDir: settings.artifactBaseDir ?? undefined, s3: runtime.config.s3 }),
    artifactLimits: settings.artifactLimits,
    logger: runtime.logger,
    metrics: runtime.metrics,
    readiness,
    groupId: settings.groupId,
    catchUpTimeoutMs: settings.catchUpTimeoutMs,
  });
  runtime.shutdown.add({ name: 'evaluator', stop: () => app.stop() });
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = settings.leader;
  whileLeader(leadership, {
    start: (epoch) => app.start(epoch),
    // Within the margin before a standby may take over (lib/leader/elector.ts).
    exit: (reason, error) => runtime.restart(reason, { graceMs: Math.max(1_000, leaseDurationMs - renewDeadlineMs - retryPeriodMs), error }),
    logger: runtime.logger,
    readiness,
  });
  await leadership.start();
  runtime.logger.info({ mode: settings.leader.mode, lease: settings.leader.mode === 'lease' ? settings.leader.leaseName : null, ...leadership.status() }, 'leader election started');
});
