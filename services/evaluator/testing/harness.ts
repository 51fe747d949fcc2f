/** The evaluator on in-memory fakes: MemoryEventBus, MemorySchemaRegistry, MemoryArtifactStore, ManualClock. */
import { MemoryArtifactStore } from '../../../lib/artifacts';
import type { EventBus, InboundMessage, OffsetRange, OutboundMessage, SubscribeOptions, Subscription, TopicSpec } from '../../../lib/bus';
import { MemoryEventBus } from '../../../lib/bus';
import type { Catalog } from '../../../lib/catalog';
import { ManualClock } from '../../../lib/clock';
import { AvroCodec, MemorySchemaRegistry, createPlatformCodec, type PlatformCodec } from '../../../lib/codec';
import type { ModelEvaluated, ModelReady } from '../../../lib/events';
import { ErrorCodes, RoundhouseError } from '../../../lib/errors';
import { silentLogger } from '../../../lib/log';
import { createServiceMetrics, type Readiness, type ServiceMetrics } from '../../../lib/metrics';
import { createEvaluatorApp, type EvaluatorApp } from '../app';
import { commandMessage, type EvaluatorCommand } from '../commands';
import { T0, evaluatorCatalog } from './fixtures';

export interface World {
  readonly bus: MemoryEventBus;
  readonly registry: MemorySchemaRegistry;
  readonly store: MemoryArtifactStore;
  readonly clock: ManualClock;
  readonly catalog: Catalog;
  codec: PlatformCodec;
}

export async function world(catalog: Catalog = evaluatorCatalog()): Promise<World> {
  const registry = new MemorySchemaRegistry();
  return {
    // The bus keeps real time so backoffs end by themselves; the evaluator's clock is manual.
    bus: new MemoryEventBus({ defaultPartitions: 2 }),
    registry,
    store: new MemoryArtifactStore(),
    clock: new ManualClock(T0 + 3_600_000),
    catalog,
    codec: await createPlatformCodec(new AvroCodec(registry)),
  };
}

export interface Running {
  readonly app: EvaluatorApp;
  readonly metrics: ServiceMetrics;
}

/** `leaderEpoch`: as main.ts passes the Lease's (lib/leader); default the single-process 0. */
export async function startEvaluator(w: World, bus: EventBus = w.bus, leaderEpoch?: number, readiness?: Readiness): Promise<Running> {
  const metrics = createServiceMetrics('evaluator');
  const app = createEvaluatorApp({
    bus,
    codec: w.codec,
    catalog: w.catalog,
    artifacts: w.store,
    logger: silentLogger(),
    metrics,
    clock: w.clock,
    groupId: 'roundhouse-evaluator',
    catchUpTimeoutMs: 5_000,
    backoff: { initialMs: 5, maxMs: 20 },
    ...(readiness ? { readiness } : {}),
  });
  await app.start(leaderEpoch);
  return { app, metrics };
}

export function evaluations(w: World): ModelEvaluated[] {
  return w.bus.messages(w.codec.topics.evaluations).map((m) => w.codec.decode('ModelEvaluated', m.value));
}

export function readies(w: World): ModelReady[] {
  return w.bus
    .messages(w.codec.topics.modelReady)
    .map((m) => w.codec.decode('ModelReady', m.value))
    .sort((a, b) => a.version - b.version);
}

/** A command as a test writes it: format, time and source are filled in. */
export type CommandInput = EvaluatorCommand extends infer C ? (C extends EvaluatorCommand ? Omit<C, 'format' | 'issuedAt' | 'source'> : never) : never;

export async function sendCommand(w: World, app: EvaluatorApp, command: CommandInput): Promise<void> {
  await w.bus.publish([commandMessage(app.commandsTopic, { format: 'roundhouse.evaluator-command/v1', issuedAt: w.clock.now(), source: 'test', ...command } as EvaluatorCommand)]);
}

/** The value of a counter or gauge for the given labels (0 when never set). */
export async function metricValue(metrics: ServiceMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = metrics.registry.getSingleMetric(`roundhouse_evaluator_${name}`);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => Object.entries(labels).every(([k, value]) => (v.labels as Record<string, unknown>)[k] === value));
  return found?.value ?? 0;
}

/** Publishing to `topic` fails (retriably, as Kafka would) while `failures` > 0. */
export class FlakyBus implements EventBus {
  failures = 0;
  constructor(
    private readonly inner: EventBus,
    private readonly topic: string,
  ) {}
  ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(specs);
  }
  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (this.failures > 0 && messages.some((m) => m.topic === this.topic)) {
      this.failures--;
      throw new RoundhouseError(ErrorCodes.KAFKA_UNAVAILABLE, 'broker unavailable (test)');
    }
    return this.inner.publish(messages);
  }
  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe(options);
  }
  endOffsets(topic: string): Promise<ReadonlyMap<number, string>> {
    return this.inner.endOffsets(topic);
  }
  startOffsets(topic: string): Promise<ReadonlyMap<number, string>> {
    return this.inner.startOffsets(topic);
  }
  committedOffsets(groupId: string, topic: string): Promise<ReadonlyMap<number, string>> {
    return this.inner.committedOffsets(groupId, topic);
  }
  offsetsForTime(topic: string, timestampMs: number): Promise<ReadonlyMap<number, string>> {
    return this.inner.offsetsForTime(topic, timestampMs);
  }
  readRange(topic: string, ranges: readonly OffsetRange[], onBatch: (messages: readonly InboundMessage[]) => Promise<void>): Promise<void> {
    return this.inner.readRange(topic, ranges, onBatch);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
