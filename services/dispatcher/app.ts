import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ConsumerGroupTopics, EventBus, RunningConsumer, startConsumer } from '../../lib/bus';
import type { Catalog } from '../../lib/catalog';
import type { Clock } from '../../lib/clock';
import type { PlatformCodec } from '../../lib/codec';
import { ErrorCodes, RoundhouseError, errorMessage } from '../../lib/errors';
import type { RetrainRequested } from '../../lib/events';
import { SINGLE_PROCESS_EPOCH, type Leadership } from '../../lib/leader';
import type { Logger } from '../../lib/log';
import { Readiness } from '../../lib/metrics';
import type { ServiceMetrics } from '../../lib/metrics';
import { leaderForwarding } from './api/forward';
import { createApiServer } from './api/server';
import type { ApiToken } from './api/tokens';
import { RunEngine } from './engine/engine';
import type { RunLogReader } from './engine/run-log';
import type { TrainingExecutor } from './executors/types';
import { DispatcherMetrics, createDispatcherMetrics, initialiseDispatcherCounters } from './metrics';

export interface DispatcherConfig {
  /** Consumer group of roundhouse.retrain-requests. */
  readonly groupId: string;
  /** Runs in flight (SUBMITTED or RUNNING) across all models. */
  readonly maxConcurrentRuns: number;
  /** Every run that may still change is reconciled this often (besides watch events). */
  readonly resyncIntervalMs: number;
  /** A submitted run whose Job stays missing this long fails with JOB_NOT_FOUND. */
  readonly lostJobGraceMs: number;
  /** How long pinning a new run's data offsets may take before the run is created unpinned. */
  readonly pinTimeoutMs: number;
  /** Where runs write artifacts: <root>/<encoded modelId>/<runId>-<nonce>/ (lib/artifacts/segment). */
  readonly artifactRoot: string;
  /** Bearer tokens accepted by the API, each with its identity and scopes; none: the API answers 401 to everything. */
  readonly apiTokens: readonly ApiToken[];
}

export const DEFAULT_DISPATCHER_CONFIG: Omit<DispatcherConfig, 'artifactRoot' | 'apiTokens'> = {
  groupId: 'roundhouse-dispatcher',
  maxConcurrentRuns: 10,
  resyncIntervalMs: 30_000,
  lostJobGraceMs: 120_000,
  pinTimeoutMs: 5000,
};

export interface DispatcherAppDeps {
  readonly bus: EventBus;
  readonly codec: PlatformCodec;
  readonly catalog: Catalog;
  readonly executor: TrainingExecutor;
  /** Reads roundhouse.training-runs to its end at start-up (rebuild). */
  readonly runLog: RunLogReader;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly readiness?: Readiness;
  readonly config: DispatcherConfig;
  /** Request ids for API calls that bring none (injected randomness). */
  readonly newRequestId?: () => string;
  /** Nonces of new run attempts (injected randomness; default 8 random hex digits). */
  readonly newRunNonce?: () => string;
  /**
   * With two replicas (lib/leader): main.ts calls start() only once this one
   * leads; until then the API forwards every call to the leader.
   */
  readonly leadership?: Leadership;
}

export interface DispatcherApp {
  readonly engine: RunEngine;
  /** The API and /openapi.json; not listening until the caller says so. /metrics and the probes are the runtime's (METRICS_PORT). */
  readonly http: FastifyInstance;
  readonly metrics: DispatcherMetrics;
  readonly readiness: Readiness;
  /**
   * Rebuild state, reconcile against the executor, then consume requests and
   * resync periodically, as the leader of `leaderEpoch` (lib/leader; default 0,
   * the single-process mode): every TrainingRun it publishes carries it.
   */
  start(leaderEpoch?: number): Promise<void>;
  /** Stop consuming, finish queued work, stop the executor's watchers and the HTTP server. */
  stop(): Promise<void>;
  /** The group whose committed offsets say how far the dispatcher has got. */
  consumerGroups(): readonly ConsumerGroupTopics[];
}

/**
 * The dispatcher, with every dependency injected (STYLE.md item 9): main.ts wires
 * Kafka, the registry and Kubernetes; tests wire MemoryEventBus, a memory
 * registry and the recording executor.
 */
export function createDispatcherApp(deps: DispatcherAppDeps): DispatcherApp {
  const logger = deps.logger.child({ component: 'dispatcher' });
  const metrics = createDispatcherMetrics(deps.metrics);
  initialiseDispatcherCounters(metrics, deps.catalog.models.map((m) => m.id));
  const readiness = deps.readiness ?? new Readiness();
  const engine = new RunEngine({
    bus: deps.bus,
    codec: deps.codec,
    catalog: deps.catalog,
    executor: deps.executor,
    clock: deps.clock,
    logger,
    metrics,
    settings: { maxConcurrentRuns: deps.config.maxConcurrentRuns, lostJobGraceMs: deps.config.lostJobGraceMs, artifactRoot: deps.config.artifactRoot, pinTimeoutMs: deps.config.pinTimeoutMs },
    newRunNonce: deps.newRunNonce ?? (() => randomBytes(4).toString('hex')),
  });
  const http = createApiServer({
    context: { engine, catalog: deps.catalog, bus: deps.bus, codec: deps.codec, clock: deps.clock, newRequestId: deps.newRequestId ?? (() => `api-${randomUUID()}`) },
    apiTokens: deps.config.apiTokens,
    metrics,
    logger,
    ...(deps.leadership ? { forwarding: leaderForwarding(deps.leadership, () => started.promise) } : {}),
  });
  const rebuilt = readiness.flag('dispatcher:state-rebuilt');
  const started = deferred();

  let consumer: RunningConsumer | undefined;
  let unwatch: () => void = () => undefined;
  let cancelResync: () => void = () => undefined;
  let stopped = false;

  const scheduleResync = (): void => {
    cancelResync = deps.clock.schedule(deps.config.resyncIntervalMs, () => {
      void engine
        .resync()
        .catch((error: unknown) => logger.error({ err: error }, 'resync failed'))
        .finally(() => {
          if (!stopped) scheduleResync();
        });
    });
  };

  return {
    engine,
    http,
    metrics,
    consumerGroups: () => [{ groupId: deps.config.groupId, topics: [deps.codec.topicOf('RetrainRequested')] }],
    readiness,
    async start(leaderEpoch = SINGLE_PROCESS_EPOCH) {
      const requestsTopic = deps.codec.topicOf('RetrainRequested');
      const runsTopic = deps.codec.topicOf('TrainingRun');
      await deps.bus.ensureTopics([{ name: requestsTopic }, { name: runsTopic }]);
      engine.setLeaderEpoch(leaderEpoch);

      // 1. What happened before: every run and its latest state (a higher epoch wins over a deposed leader's late writes).
      const { runs, skipped } = await engine.rebuild(await deps.runLog.readToEnd(runsTopic));
      logger.info({ runs, skipped, leaderEpoch }, 'rebuilt run state from the training-runs topic');
      // Epochs only grow, so a log that already holds a higher one means this
      // process would be fenced out by its own consumers: the Lease was deleted
      // (recreated at epoch 1), or a single-process dispatcher runs against topics
      // a Lease-elected one wrote. Acting anyway would have every event ignored.
      if (engine.highestLeaderEpoch() > leaderEpoch) {
        throw new RoundhouseError(
          ErrorCodes.CONFLICT,
          `roundhouse.training-runs holds events of leader epoch ${engine.highestLeaderEpoch()}, above this dispatcher's ${leaderEpoch}: ` +
            'was its Lease deleted, or does a dispatcher without leader election share these topics? Raise the Lease\'s spec.leaseTransitions above it (docs/leader-election.md)',
          { retriable: false, context: { topic: runsTopic, leaderEpoch, highest: engine.highestLeaderEpoch() } },
        );
      }

      // 2. What exists: watch workloads, adopt those of known runs, reconcile the rest.
      unwatch = deps.executor.watch((runId) => {
        void engine.syncRun(runId, 'watch').catch((error: unknown) => logger.error({ err: error, runId }, 'sync after a watch event failed'));
      });
      await deps.executor.start();
      await engine.adoptExisting(await deps.executor.list());
      await engine.resync();
      rebuilt.set(true);
      // The API needs the rebuilt state, not the consumer: joining the group can wait out a
      // SIGKILLed predecessor's Kafka session (its partitions are not reassigned before).
      started.resolve();

      // 3. New requests: the run is recorded and its QUEUED event published before the offset commits.
      consumer = await startConsumer<RetrainRequested>(
        deps.bus,
        {
          name: 'dispatcher',
          groupId: deps.config.groupId,
          topics: [requestsTopic],
          fromBeginning: true,
          prepare: (messages) => deps.codec.avro.prepare(messages.map((m) => m.value)),
          decode: (message) => deps.codec.decode('RetrainRequested', message.value),
          handle: async (records) => {
            for (const record of records) await engine.request(record.value);
            engine.kick();
          },
        },
        { logger, metrics: deps.metrics, clock: deps.clock, readiness },
      );
      scheduleResync();
      logger.info({ executor: deps.executor.kind, topic: requestsTopic }, 'dispatcher started');
    },
    async stop() {
      stopped = true;
      // Calls held for a start that will not finish are answered now (503), not after the hold.
      started.reject(new Error('stopped'));
      cancelResync();
      rebuilt.set(false, 'stopping');
      await consumer?.stop().catch((error: unknown) => logger.warn({ reason: errorMessage(error) }, 'consumer did not stop cleanly'));
      unwatch();
      await engine.idle();
      await deps.executor.stop();
      await http.close();
    },
  };
}

function deferred(): { readonly promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve: () => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<void>((done, fail) => {
    resolve = done;
    reject = fail;
  });
  // Nobody may be waiting when it is rejected.
  promise.catch(() => undefined);
  return { promise, resolve: () => resolve(), reject: (error) => reject(error) };
}
