import { hostname } from 'node:os';
import type { EventBus } from '../bus';
import { MemoryEventBus } from '../bus';
import { AvroCodec, ConfluentSchemaRegistryClient, MemorySchemaRegistry, createPlatformCodec, topicNames, type PlatformCodec, type SchemaRegistryClient } from '../codec';
import { loadConfig, type Config, type RawEnv } from '../config';
import { ErrorCodes, RoundhouseError } from '../errors';
import { KafkaEventBus, createKafkaClient } from '../kafka';
import { Shutdown } from '../lifecycle';
import { createLogger, type Logger } from '../log';
import { Readiness, createServiceMetrics, startProbeServer, type ProbeServer, type ServiceMetrics } from '../metrics';

/**
 * What every service's main.ts needs, wired once: configuration (parsed and
 * frozen), the JSON logger, metrics and probes, the event bus and the schema
 * registry (Kafka + registry when configured; in-memory only when the caller
 * allows it, for the embedded demo), the platform codec, and graceful shutdown.
 */
export interface Runtime {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly readiness: Readiness;
  readonly bus: EventBus;
  readonly registry: SchemaRegistryClient;
  readonly codec: PlatformCodec;
  readonly shutdown: Shutdown;
  readonly instanceId: string;
  readonly probes: ProbeServer | undefined;
  /**
   * A consumer stopped for good (a non-retriable failure escaped its policy):
   * log it, stop cleanly, exit 70 so Kubernetes restarts the pod. Staying up
   * would keep /healthz at 200 while nothing is consumed (issue 11).
   */
  fatal(what: string, error: unknown): void;
  /**
   * Leave on purpose so Kubernetes starts this container afresh (leadership
   * lost: lib/leader): stop what can be stopped within `graceMs`, then exit 75
   * (EX_TEMPFAIL). A deposed leader must not linger: its successor may start
   * as soon as its term ends.
   */
  restart(reason: string, options?: { readonly graceMs?: number; readonly error?: unknown }): void;
}

export interface RuntimeOptions {
  readonly env?: RawEnv;
  /** Use the in-memory bus and registry when KAFKA_BROKERS is unset (demo only). */
  readonly allowEmbedded?: boolean;
  /** Start the /metrics /healthz /readyz server (default true). */
  readonly probes?: boolean;
}

export async function createRuntime(service: string, options: RuntimeOptions = {}): Promise<Runtime> {
  const config = loadConfig(options.env ?? process.env);
  const logger = createLogger({ service, level: config.logLevel });
  const metrics = createServiceMetrics(service, { defaultMetrics: true });
  const readiness = new Readiness();
  const shutdown = new Shutdown({ logger });
  const instanceId = config.instanceId ?? hostname();
  let bus: EventBus;
  let registry: SchemaRegistryClient;
  if (config.kafka && config.schemaRegistry) {
    bus = new KafkaEventBus(
      createKafkaClient({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-${service}`, ssl: config.kafka.ssl, ...(config.kafka.sasl ? { sasl: config.kafka.sasl } : {}), logger }),
      {
        logger,
        defaultPartitions: config.kafka.topicPartitions,
        replicationFactor: config.kafka.replicationFactor,
        ...(config.kafka.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: config.kafka.sessionTimeoutMs } : {}),
      },
    );
    registry = new ConfluentSchemaRegistryClient({ url: config.schemaRegistry.url, ...(config.schemaRegistry.auth ? { auth: config.schemaRegistry.auth } : {}) });
  } else if (options.allowEmbedded) {
    bus = new MemoryEventBus();
    registry = new MemorySchemaRegistry();
  } else {
    throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `${service} needs KAFKA_BROKERS and SCHEMA_REGISTRY_URL (use \`npm run demo\` for the embedded, in-memory setup)`);
  }
  shutdown.add({ name: 'bus', stop: () => bus.close() });
  const codec = await createPlatformCodec(new AvroCodec(registry), topicNames(config.topicPrefix));
  let probes: ProbeServer | undefined;
  if (options.probes ?? true) {
    probes = await startProbeServer({ registry: metrics.registry, readiness, host: config.metrics.host, port: config.metrics.port });
    shutdown.add({ name: 'probes', stop: () => probes!.close() });
    logger.info({ url: probes.url }, 'probes and metrics listening');
  }
  const fatal = (what: string, error: unknown): void => {
    logger.fatal({ err: error, what }, `${what} stopped for good; exiting so the pod is restarted`);
    void shutdown
      .stop()
      .catch(() => undefined)
      .finally(() => process.exit(70));
  };
  let restarting = false;
  const restart = (reason: string, restartOptions: { readonly graceMs?: number; readonly error?: unknown } = {}): void => {
    if (restarting) return;
    restarting = true;
    logger.warn({ reason, ...(restartOptions.error === undefined ? {} : { err: restartOptions.error }) }, `${reason}; stopping and exiting so the pod restarts clean`);
    const timer = setTimeout(() => process.exit(75), restartOptions.graceMs ?? 10_000);
    timer.unref();
    void shutdown
      .stop()
      .catch(() => undefined)
      .finally(() => process.exit(75));
  };
  return { config, logger, metrics, readiness, bus, registry, codec, shutdown, instanceId, probes, fatal, restart };
}

/** Run a main function; print start-up failures (bad config, bad catalog) clearly and exit non-zero. */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const err = error as { code?: string; message?: string };
    process.stderr.write(`${service}: failed to start${err.code ? ` [${err.code}]` : ''}: ${err.message ?? String(error)}\n`);
    process.exit(1);
  });
}
