/**
 * The three long-running services' metric registries, as their main.ts builds
 * them: createServiceMetrics with Node.js default metrics, createXApp on
 * in-memory fakes, started (lib/bus/processor.ts registers its consumer metrics
 * only once an app subscribes) and stopped again. For the tests that check what
 * the services export: scripts/metrics-consistency.test.ts (names and labels the
 * dashboard and the rules query), scripts/promtool.test.ts (`promtool check metrics`).
 */
import path from 'node:path';
import { MemoryArtifactStore } from '../../lib/artifacts';
import { MemoryEventBus } from '../../lib/bus';
import { loadCatalog } from '../../lib/catalog';
import { ManualClock } from '../../lib/clock';
import { AvroCodec, MemorySchemaRegistry, createPlatformCodec } from '../../lib/codec';
import { DEFAULT_LEASE_TIMINGS, createLeadership } from '../../lib/leader';
import { silentLogger } from '../../lib/log';
import { Readiness, createServiceMetrics, type ServiceMetrics } from '../../lib/metrics';
import { createDispatcherApp, DEFAULT_DISPATCHER_CONFIG } from '../../services/dispatcher/app';
import { busRunLog } from '../../services/dispatcher/engine/run-log';
import { RecordingExecutor } from '../../services/dispatcher/executors/fake';
import { createEvaluatorApp } from '../../services/evaluator/app';
import { createTriggerApp } from '../../services/trigger/app';

const ROOT = path.resolve(__dirname, '..', '..');

export const SERVICES = ['trigger', 'dispatcher', 'evaluator'] as const;
export type Service = (typeof SERVICES)[number];

/** Starts the three apps, calls `read` on each service's metrics while they run, stops them. */
export async function readServiceMetrics<T>(read: (metrics: ServiceMetrics) => Promise<T>): Promise<Map<Service, T>> {
  const catalog = loadCatalog(path.join(ROOT, 'config', 'catalog.yaml'));
  const bus = new MemoryEventBus();
  const registry = new MemorySchemaRegistry();
  const codec = await createPlatformCodec(new AvroCodec(registry));
  const logger = silentLogger();
  // The trigger refuses to start without its input topics (it reads their partition counts).
  await bus.ensureTopics([...new Set(catalog.models.flatMap((m) => [m.data.featureTopic, m.data.labelTopic]))].map((name) => ({ name })));

  const trigger = createServiceMetrics('trigger', { defaultMetrics: true });
  const triggerApp = createTriggerApp({ bus, codec, catalog, logger, metrics: trigger, readiness: new Readiness(), instanceId: 'metrics-0', groupId: 'roundhouse-trigger' });
  const dispatcher = createServiceMetrics('dispatcher', { defaultMetrics: true });
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const dispatcherApp = createDispatcherApp({
    bus,
    codec,
    catalog,
    executor: new RecordingExecutor(),
    runLog: busRunLog(bus, { clock, logger }),
    clock,
    logger,
    metrics: dispatcher,
    readiness: new Readiness(),
    config: { ...DEFAULT_DISPATCHER_CONFIG, artifactRoot: 'file:///tmp/artifacts', apiTokens: [] },
  });
  const evaluator = createServiceMetrics('evaluator', { defaultMetrics: true });
  const evaluatorApp = createEvaluatorApp({ bus, codec, catalog, artifacts: new MemoryArtifactStore(), logger, metrics: evaluator, readiness: new Readiness(), catchUpTimeoutMs: 2_000 });

  // main.ts adds the leader election's metrics (lib/leader) beside each app's, the same in every mode.
  for (const [service, metrics] of [['dispatcher', dispatcher], ['evaluator', evaluator]] as const) {
    createLeadership({
      settings: { mode: 'none', leaseName: `roundhouse-${service}`, leaseNamespace: null, ...DEFAULT_LEASE_TIMINGS },
      kubeconfigPath: null,
      identity: `${service}-metrics-0`,
      clock,
      logger,
      metrics,
    });
  }
  const apps = [triggerApp, dispatcherApp, evaluatorApp];
  const results = new Map<Service, T>();
  try {
    for (const app of apps) await app.start();
    results.set('trigger', await read(trigger));
    results.set('dispatcher', await read(dispatcher));
    results.set('evaluator', await read(evaluator));
  } finally {
    for (const app of apps) await app.stop().catch(() => undefined);
    await bus.close();
  }
  return results;
}
