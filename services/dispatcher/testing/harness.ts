/** Builds the dispatcher on in-memory fakes for tests: MemoryEventBus, MemorySchemaRegistry, RecordingExecutor, ManualClock. */
import type { EventBus, OutboundMessage, SubscribeOptions, Subscription, TopicSpec } from '../../../lib/bus';
import { MemoryEventBus } from '../../../lib/bus';
import type { Catalog } from '../../../lib/catalog';
import { ManualClock } from '../../../lib/clock';
import { AvroCodec, MemorySchemaRegistry, PlatformCodec, createPlatformCodec } from '../../../lib/codec';
import type { RetrainRequested, TrainingRun } from '../../../lib/events';
import type { Leadership } from '../../../lib/leader';
import { silentLogger } from '../../../lib/log';
import { createServiceMetrics, type ServiceMetrics } from '../../../lib/metrics';
import { DispatcherApp, DispatcherConfig, createDispatcherApp } from '../app';
import type { ApiToken } from '../api/tokens';
import { busRunLog } from '../engine/run-log';
import { RecordingExecutor } from '../executors/fake';
import type { TrainingExecutor } from '../executors/types';
import { T0, testCatalog } from './fixtures';

/** A token with every scope (name "tester"), the default of call(). */
export const TOKEN = 'test-token-0123456789';
/** One token per scope, for the 403 tests. */
export const SCOPED_TOKENS = { read: 'reader-token-0123456789', submit: 'submitter-token-0123456789', override: 'overrider-token-0123456789' } as const;

export const TEST_API_TOKENS: readonly ApiToken[] = [
  { name: 'tester', scopes: ['read', 'submit', 'override'], token: TOKEN },
  { name: 'reader', scopes: ['read'], token: SCOPED_TOKENS.read },
  { name: 'submitter', scopes: ['submit'], token: SCOPED_TOKENS.submit },
  { name: 'oncall-alice', scopes: ['override'], token: SCOPED_TOKENS.override },
];

/** Publishing fails (as Kafka would, retriably) while `failures` > 0 for the matching topic. */
export class FlakyBus implements EventBus {
  failures = 0;
  constructor(
    readonly inner: MemoryEventBus,
    private readonly topic: string,
    private readonly error: () => unknown,
  ) {}
  ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(specs);
  }
  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (this.failures > 0 && messages.some((m) => m.topic === this.topic)) {
      this.failures--;
      throw this.error();
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
  readRange(...args: Parameters<EventBus['readRange']>): Promise<void> {
    return this.inner.readRange(...args);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface World {
  readonly clock: ManualClock;
  readonly bus: MemoryEventBus;
  readonly registry: MemorySchemaRegistry;
  readonly executor: RecordingExecutor;
  readonly catalog: Catalog;
}

export function world(): World {
  const clock = new ManualClock(T0);
  return { clock, bus: new MemoryEventBus({ clock }), registry: new MemorySchemaRegistry(), executor: new RecordingExecutor(), catalog: testCatalog() };
}

export interface Harness {
  readonly app: DispatcherApp;
  readonly codec: PlatformCodec;
  readonly world: World;
  /** The registry main.ts serves on METRICS_PORT (lib/runtime's probe server), not on the API port. */
  readonly metrics: ServiceMetrics;
}

let ids = 0;
let nonces = 0;

/** A started dispatcher on `w` (a new instance on the same world plays a restart); `start: false` for a standby. */
export async function startDispatcher(
  w: World,
  overrides: { config?: Partial<DispatcherConfig>; bus?: EventBus; executor?: TrainingExecutor; leadership?: Leadership; start?: boolean } = {},
): Promise<Harness> {
  const codec = await createPlatformCodec(new AvroCodec(w.registry, w.clock));
  const metrics = createServiceMetrics('dispatcher');
  const app = createDispatcherApp({
    bus: overrides.bus ?? w.bus,
    codec,
    catalog: w.catalog,
    executor: overrides.executor ?? w.executor,
    runLog: busRunLog(w.bus, { clock: w.clock, logger: silentLogger() }),
    clock: w.clock,
    logger: silentLogger(),
    metrics,
    config: {
      groupId: 'roundhouse-dispatcher',
      maxConcurrentRuns: 10,
      resyncIntervalMs: 30_000,
      lostJobGraceMs: 120_000,
      pinTimeoutMs: 5000,
      artifactRoot: 's3://artifacts',
      apiTokens: TEST_API_TOKENS,
      ...overrides.config,
    },
    newRequestId: () => `api-request-${++ids}`,
    newRunNonce: () => (++nonces).toString(16).padStart(8, '0'),
    ...(overrides.leadership ? { leadership: overrides.leadership } : {}),
  });
  if (overrides.start ?? true) await app.start();
  return { app, codec, world: w, metrics };
}

/** The TrainingRun events published so far, decoded, in publication order per partition. */
export function runEvents(h: Harness, runId?: string): TrainingRun[] {
  return h.world.bus
    .messages(h.codec.topicOf('TrainingRun'))
    .map((m) => h.codec.decode('TrainingRun', m.value))
    .filter((e) => runId === undefined || e.runId === runId);
}

export async function publishRequest(h: Harness, request: RetrainRequested): Promise<void> {
  await h.world.bus.publish([h.codec.message('RetrainRequested', request)]);
}

/**
 * Serve the app's HTTP server on a free loopback port. (fastify.inject cannot be
 * used under Jest here: light-my-request needs cookie 2, an ES module.)
 */
export async function listen(h: Harness): Promise<string> {
  return h.app.http.listen({ host: '127.0.0.1', port: 0 });
}

export interface CallOptions {
  readonly token?: string | null;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export async function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (the metrics text format)
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
