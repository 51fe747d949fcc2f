/**
 * The three long-running services of the loop, started in-process the way their
 * main.ts wires them: configuration through lib/config and each service's
 * settings loader from one environment map, the catalog loaded from its YAML
 * file, Kafka and the registry from the stack. The dispatcher acts on the API
 * server as the k8s/rbac ServiceAccount (a TokenRequest token), in the test
 * namespace. The trainer is not here: it runs as the Job's pod (test/agent).
 */
import type * as K8s from '@kubernetes/client-node';
import { artifactStoreFor } from '../../lib/artifacts/store-for';
import { loadCatalog } from '../../lib/catalog';
import { systemClock } from '../../lib/clock';
import type { PlatformCodec } from '../../lib/codec';
import { loadConfig, type Config, type RawEnv } from '../../lib/config';
import type { KafkaEventBus } from '../../lib/kafka';
import type { Logger } from '../../lib/log';
import { createServiceMetrics, type ServiceMetrics } from '../../lib/metrics';
import { createDispatcherApp, type DispatcherApp } from '../../services/dispatcher/app';
import { busRunLog } from '../../services/dispatcher/engine/run-log';
import { createKubernetesExecutor } from '../../services/dispatcher/executors/kubernetes';
import { loadDispatcherSettings } from '../../services/dispatcher/settings';
import { createEvaluatorApp, type EvaluatorApp } from '../../services/evaluator/app';
import { loadEvaluatorSettings } from '../../services/evaluator/settings';
import { createTriggerApp, type TriggerApp } from '../../services/trigger/app';
import { kafkaBus } from '../helpers';

export interface ServiceContext {
  /** The environment every service's configuration is read from (as main.ts reads process.env). */
  readonly env: RawEnv;
  readonly codec: PlatformCodec;
  readonly logger: Logger;
  /** Registers how to stop a started service (registered before start(), so a half-started one is stopped too). */
  readonly onTeardown: (name: string, stop: () => Promise<void>) => void;
}

function busFor(config: Config): KafkaEventBus {
  return kafkaBus(config.kafka?.topicPartitions ?? 3);
}

/** The service first (it finishes its work and leaves its groups), then its Kafka clients. */
function stopWith(ctx: ServiceContext, name: string, app: { stop(): Promise<void> }, bus: KafkaEventBus): void {
  ctx.onTeardown(name, async () => {
    try {
      await app.stop();
    } finally {
      await bus.close();
    }
  });
}

export async function startEvaluator(ctx: ServiceContext): Promise<EvaluatorApp> {
  const config = loadConfig(ctx.env);
  const settings = loadEvaluatorSettings(ctx.env, config);
  const bus = busFor(config);
  const app = createEvaluatorApp({
    bus,
    codec: ctx.codec,
    catalog: loadCatalog(config.catalogPath),
    artifacts: artifactStoreFor(config.artifactRoot, { baseDir: settings.artifactBaseDir ?? undefined, s3: config.s3 }),
    artifactLimits: settings.artifactLimits,
    logger: ctx.logger,
    metrics: createServiceMetrics('evaluator'),
    groupId: settings.groupId,
    catchUpTimeoutMs: settings.catchUpTimeoutMs,
  });
  stopWith(ctx, 'evaluator', app, bus);
  await app.start();
  return app;
}

export async function startTrigger(ctx: ServiceContext): Promise<{ app: TriggerApp; metrics: ServiceMetrics }> {
  const config = loadConfig(ctx.env);
  const metrics = createServiceMetrics('trigger');
  const bus = busFor(config);
  const app = createTriggerApp({
    bus,
    codec: ctx.codec,
    catalog: loadCatalog(config.catalogPath),
    logger: ctx.logger,
    metrics,
    instanceId: config.instanceId ?? 'e2e-trigger-0',
    groupId: `${config.topicPrefix}roundhouse-trigger`,
  });
  stopWith(ctx, 'trigger', app, bus);
  await app.start();
  return { app, metrics };
}

/** `kubeConfig`: the dispatcher's identity (its ServiceAccount); KUBECONFIG in the env only satisfies the settings check. */
export async function startDispatcher(ctx: ServiceContext, kubeConfig: K8s.KubeConfig): Promise<DispatcherApp> {
  const config = loadConfig(ctx.env);
  const settings = loadDispatcherSettings(ctx.env, config);
  if (settings.executor !== 'kubernetes') throw new Error(`the e2e dispatcher must use the Kubernetes executor, settings say ${settings.executor}`);
  const logger = ctx.logger.child({ service: 'dispatcher' });
  const { executor } = createKubernetesExecutor({
    kubeconfigPath: null,
    kubeConfig,
    namespace: settings.kubernetes.namespace,
    qps: settings.kubernetes.qps,
    burst: settings.kubernetes.burst,
    logger,
    jobOptions: {
      defaultServiceAccountName: settings.kubernetes.trainerServiceAccount,
      env: settings.trainerEnv,
      envFromSecret: settings.kubernetes.trainerEnvSecret,
      secretEnv: settings.kubernetes.trainerSecretEnv,
    },
  });
  const bus = busFor(config);
  const app = createDispatcherApp({
    bus,
    codec: ctx.codec,
    catalog: loadCatalog(config.catalogPath),
    executor,
    runLog: busRunLog(bus, { clock: systemClock, logger }),
    clock: systemClock,
    logger,
    metrics: createServiceMetrics('dispatcher'),
    config: settings.app,
  });
  stopWith(ctx, 'dispatcher', app, bus);
  await app.start();
  return app;
}
