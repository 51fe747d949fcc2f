import { resolve } from 'node:path';
import { loadCatalog } from '../../lib/catalog';
import { systemClock } from '../../lib/clock';
import { errorCode } from '../../lib/errors';
import { createLeadership, leaderIdentity, leaderReadiness, whileLeader } from '../../lib/leader';
import { runMain, createRuntime } from '../../lib/runtime';
import { createDispatcherApp } from './app';
import { busRunLog } from './engine/run-log';
import { LocalExecutor } from './executors/local';
import { createKubernetesExecutor } from './executors/kubernetes';
import type { TrainingExecutor } from './executors/types';
import { jobOptionsFrom, loadDispatcherSettings } from './settings';

/**
 * The dispatcher's composition root: Kafka + registry when KAFKA_BROKERS is set
 * (else the in-memory bus), the Kubernetes executor with KUBECONFIG or in a
 * cluster (else local child processes), the API on DISPATCHER_PORT (bearer
 * tokens), /metrics and the probes on METRICS_PORT (lib/runtime's probe server,
 * like every service), and graceful shutdown through lib/lifecycle.
 *
 * Two replicas (lib/leader, docs/leader-election.md): both serve the API and the
 * probes at once; only the one holding the Lease starts the app (rebuild,
 * reconcile, consume). It loses the Lease → it stops and exits 75, and
 * Kubernetes restarts it as a standby. Without a cluster: always the leader.
 */
runMain('dispatcher', async () => {
  const runtime = await createRuntime('dispatcher', { allowEmbedded: true });
  const { config, logger } = runtime;
  const settings = loadDispatcherSettings(process.env, config);
  const catalog = loadCatalog(config.catalogPath);
  const executorErrors = runtime.metrics.counter('executor_errors_total', 'Executor calls that failed (API server, process spawn, watch).', ['executor', 'operation', 'code']);

  let executor: TrainingExecutor;
  if (settings.executor === 'kubernetes') {
    const created = createKubernetesExecutor({
      kubeconfigPath: settings.kubernetes.kubeconfigPath,
      namespace: settings.kubernetes.namespace,
      qps: settings.kubernetes.qps,
      burst: settings.kubernetes.burst,
      logger,
      jobOptions: jobOptionsFrom(settings),
      // The engine counts failed submit/observe/cancel calls itself; the informer's watch failures are counted here.
      onError: (operation, error) => {
        if (operation === 'watch') executorErrors.inc({ executor: 'kubernetes', operation, code: errorCode(error) });
      },
    });
    executor = created.executor;
    logger.info({ namespace: created.namespace }, 'executor: Kubernetes Jobs');
  } else {
    // An allowlist of this process's environment, never all of it (settings.ts, executors/local-env.ts).
    executor = new LocalExecutor({ workDir: resolve(settings.local.workDir), env: settings.local.env, command: settings.local.command, logger });
    logger.info({ workDir: settings.local.workDir }, 'executor: local child processes');
  }

  const leadership = createLeadership({
    settings: settings.leader,
    kubeconfigPath: settings.kubernetes.kubeconfigPath,
    identity: leaderIdentity(runtime.instanceId),
    clock: systemClock,
    logger,
    metrics: runtime.metrics,
    advertiseUrl: settings.advertiseUrl,
  });
  // Stopped after the app (parts stop in reverse): the Lease is released once nothing is consumed any more.
  runtime.shutdown.add({ name: 'leadership', stop: () => leadership.stop() });
  const readiness = leaderReadiness(runtime.readiness, leadership, { now: () => systemClock.now(), staleAfterMs: settings.leader.leaseDurationMs });

  const app = createDispatcherApp({
    bus: runtime.bus,
    codec: runtime.codec,
    catalog,
    executor,
    runLog: busRunLog(runtime.bus, { clock: systemClock, logger }),
    clock: systemClock,
    logger,
    metrics: runtime.metrics,
    readiness,
    config: settings.app,
    leadership,
  });
  const url = await app.http.listen({ host: config.metrics.host, port: config.dispatcher.port });
  logger.info({ url, executor: settings.executor, tokens: settings.app.apiTokens.length }, 'dispatcher API and /openapi.json listening');
  runtime.shutdown.add({ name: 'dispatcher', stop: () => app.stop() });
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = settings.leader;
  whileLeader(leadership, {
    start: (epoch) => app.start(epoch),
    // Within the margin before a standby may take over (lib/leader/elector.ts).
    exit: (reason, error) => runtime.restart(reason, { graceMs: Math.max(1_000, leaseDurationMs - renewDeadlineMs - retryPeriodMs), error }),
    logger,
    readiness,
  });
  await leadership.start();
  logger.info({ mode: settings.leader.mode, lease: settings.leader.mode === 'lease' ? settings.leader.leaseName : null, ...leadership.status() }, 'leader election started');
});
