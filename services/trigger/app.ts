import type { BatchControl, ConsumerGroupTopics, EventBus, InboundMessage, OutboundMessage, PartitionBatch, Subscription, TopicPartition } from '../../lib/bus';
import { deadLetter, dlqTopic } from '../../lib/bus';
import type { Catalog, ModelSpec } from '../../lib/catalog';
import { Clock, backoffDelay, systemClock } from '../../lib/clock';
import type { PlatformCodec } from '../../lib/codec';
import { ErrorCodes, RoundhouseError, errorCode, errorMessage, isRetriable } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import type { Readiness, ServiceMetrics } from '../../lib/metrics';
import { CheckpointStore } from './checkpoints';
import { compileFeaturePlan, compileLabelPlan, type FeatureRecordPlan, type LabelRecordPlan } from './core/extract';
import { IngestPartition, type IngestState } from './core/ingest';
import { ModelJudge, type JudgeState, type WindowVerdict } from './core/judge';
import { decodePartial, encodePartial, type Partial as TriggerPartial } from './core/partials';
import { ChampionFollower } from './follower';
import { createTriggerMetrics, initialiseTriggerCounters, type TriggerMetrics } from './metrics';

/**
 * The trigger service. Stage 1 (group `<group>-ingest`) consumes the feature and
 * label topics and, per input partition, summarises windows; stage 2 (group
 * `<group>-judge`) consumes those summaries keyed by model and judges them. Each
 * stage commits its outputs, its checkpoint and its consumed offsets in one Kafka
 * transaction, so a crash at any point neither loses nor repeats a decision.
 */
export interface TriggerDeps {
  readonly bus: EventBus;
  readonly codec: PlatformCodec;
  readonly catalog: Catalog;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly readiness?: Readiness;
  readonly clock?: Clock;
  /** Stable per instance (pod name, ordinal): it names the transactional producers, so a restart fences its predecessor. */
  readonly instanceId: string;
  readonly groupId?: string;
  readonly partialsPartitions?: number;
  /** Ingest commit cadence (defaults: 20,000 events or 1 s, and whenever caught up). */
  readonly commitEvery?: { readonly events: number; readonly ms: number };
  /** Called once when a stage's consumer stops for good (main.ts exits the process so it is restarted). */
  readonly onFatal?: (stage: string, error: unknown) => void;
}

export interface TriggerApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Champion versions the trigger currently judges against, per model (ops and tests). */
  championVersions(): ReadonlyMap<string, number>;
  /** The groups whose committed offsets say how far the trigger has got (ingest, judge). */
  consumerGroups(): readonly ConsumerGroupTopics[];
}

interface StageContext {
  checkpoints: Map<string, string> | undefined;
  stale: boolean;
}

export function createTriggerApp(deps: TriggerDeps): TriggerApp {
  const logger = deps.logger.child({ service: 'trigger' });
  const clock = deps.clock ?? systemClock;
  const groupId = deps.groupId ?? 'roundhouse-trigger';
  const topics = deps.codec.topics;
  const partialsTopic = `${topics.triggerState.replace(/trigger-state$/, 'trigger-partials')}`;
  const store = new CheckpointStore(deps.bus, topics.triggerState, logger);
  const follower = new ChampionFollower(deps.bus, deps.codec, logger, groupId);
  const metrics: TriggerMetrics = createTriggerMetrics(deps.metrics);
  initialiseTriggerCounters(metrics, deps.catalog.models.map((m) => m.id));
  const models = new Map(deps.catalog.models.map((m) => [m.id, m]));
  const featureTopics = new Map<string, ModelSpec[]>();
  const labelTopics = new Map<string, ModelSpec[]>();
  for (const model of deps.catalog.models) {
    featureTopics.set(model.data.featureTopic, [...(featureTopics.get(model.data.featureTopic) ?? []), model]);
    labelTopics.set(model.data.labelTopic, [...(labelTopics.get(model.data.labelTopic) ?? []), model]);
  }
  const inputTopics = [...new Set([...featureTopics.keys(), ...labelTopics.keys()])];
  const partitionCounts = new Map<string, number>();
  const subscriptions: Subscription[] = [];
  let ready = false;
  const attempts = new Map<string, number>();

  const retryLater = (batch: PartitionBatch, control: BatchControl, error: unknown, reset: () => void): void => {
    reset();
    const key = `${batch.topic}:${batch.partition}`;
    const attempt = attempts.get(key) ?? 0;
    attempts.set(key, attempt + 1);
    const delay = backoffDelay(attempt, { initialMs: 200, maxMs: 30_000 });
    logger.warn({ err: error, topic: batch.topic, partition: batch.partition, delayMs: delay }, 'retriable failure; pausing partition');
    control.backoff(delay);
  };

  async function ensureCheckpoints(stage: StageContext): Promise<Map<string, string>> {
    if (stage.stale || !stage.checkpoints) {
      const loaded = await store.load();
      stage.checkpoints = new Map([...loaded].map(([k, v]) => [k, JSON.stringify(v)]));
      stage.stale = false;
    }
    return stage.checkpoints;
  }

  // ---- stage 1: ingest ----------------------------------------------------
  const ingestStage: StageContext = { checkpoints: undefined, stale: true };
  const ingests = new Map<string, IngestPartition>();
  /**
   * Outputs and progress since a partition's last commit. Committing (a
   * transaction with a gzip'd checkpoint) every fetched batch dominated the
   * trigger's cost, so ingest commits every COMMIT_EVENTS events or COMMIT_MS,
   * and whenever it has caught up with the partition; in between it only moves
   * its fetch position. A crash or rebalance replays from the last commit, which
   * rebuilds exactly these outputs (the stage is deterministic).
   */
  const uncommitted = new Map<string, { outputs: OutboundMessage[]; events: number; since: number; bytes: number }>();
  /** Commit before the pending outputs approach the broker's 1 MB request limit. */
  const COMMIT_BYTES = 512 * 1024;
  const COMMIT_EVENTS = deps.commitEvery?.events ?? 20_000;
  const COMMIT_MS = deps.commitEvery?.ms ?? 1_000;
  // Keyed by (topic, writer schema id): two topics may share a writer schema and
  // still feed different models (issue 11: keyed by schema id alone, the second
  // topic's events all hit the first topic's plans and were dead-lettered).
  const featurePlans = new Map<string, Map<string, FeatureRecordPlan>>();
  const labelPlans = new Map<string, Map<string, LabelRecordPlan>>();

  function ingestFor(topic: string, partition: number, checkpoints: Map<string, string>): IngestPartition {
    const key = `ingest/${topic}/${partition}`;
    let ingest = ingests.get(key);
    if (!ingest) {
      const saved = checkpoints.get(key);
      const modelsHere = [...new Set([...(featureTopics.get(topic) ?? []), ...(labelTopics.get(topic) ?? [])])];
      ingest = new IngestPartition(
        { topic, partition, partitions: partitionCounts.get(topic) ?? 1, models: modelsHere },
        saved ? (JSON.parse(saved) as IngestState) : undefined,
      );
      ingests.set(key, ingest);
    }
    return ingest;
  }

  /**
   * The plans of the models a (topic, writer schema) feeds, compiled once. A model
   * that does not fit the schema (a field missing or of the wrong type) is left
   * out for that schema, with one error log and a gauge, and the other models on
   * the topic carry on (issue 11: one such model dead-lettered every event for
   * every model).
   */
  function plansFor<P>(cache: Map<string, Map<string, P>>, kind: 'features' | 'labels', topic: string, schemaId: number, modelsHere: readonly ModelSpec[], compile: (m: ModelSpec) => P): Map<string, P> {
    const key = `${topic}\u0000${schemaId}`;
    let plans = cache.get(key);
    if (!plans) {
      plans = new Map();
      for (const model of modelsHere) {
        try {
          plans.set(model.id, compile(model));
        } catch (error) {
          if (isRetriable(error)) throw error;
          metrics.modelsDisabled.set({ model: model.id, topic, kind }, 1);
          logger.error({ modelId: model.id, topic, schemaId, kind, reason: errorMessage(error) }, `model ${model.id} disabled for ${kind} of ${topic} written with schema ${schemaId}: ${errorMessage(error)}`);
        }
      }
      cache.set(key, plans);
    }
    return plans;
  }

  async function onIngestBatch(batch: PartitionBatch, control: BatchControl): Promise<void> {
    if (batch.messages.length === 0) return;
    const checkpointKey = `ingest/${batch.topic}/${batch.partition}`;
    const reset = (): void => {
      ingests.delete(checkpointKey);
      uncommitted.delete(checkpointKey);
    };
    let checkpoints: Map<string, string>;
    try {
      checkpoints = await ensureCheckpoints(ingestStage);
      await deps.codec.avro.prepare(batch.messages.map((m) => m.value));
    } catch (error) {
      if (isRetriable(error)) return retryLater(batch, control, error, reset);
      throw error;
    }
    const ingest = ingestFor(batch.topic, batch.partition, checkpoints);
    const featureModels = featureTopics.get(batch.topic) ?? [];
    const labelModels = labelTopics.get(batch.topic) ?? [];
    const deadLetters: OutboundMessage[] = [];
    let good = 0;
    for (const message of batch.messages) {
      try {
        const record = deps.codec.avro.decodeGeneric(message.value);
        const row = record.value as Record<string, unknown>;
        if (featureModels.length > 0) {
          ingest.addFeature(row, message.key, message.offset, plansFor(featurePlans, 'features', batch.topic, record.schemaId, featureModels, (m) => compileFeaturePlan(m, record.type)), message.timestamp);
        }
        if (labelModels.length > 0) {
          ingest.addLabel(row, message.key, plansFor(labelPlans, 'labels', batch.topic, record.schemaId, labelModels, (m) => compileLabelPlan(m, record.type)));
        }
        good++;
      } catch (error) {
        if (isRetriable(error)) return retryLater(batch, control, error, reset);
        deadLetters.push(deadLetter(message, error, `${groupId}-ingest`, clock.now()));
        metrics.decodeFailures.inc({ topic: batch.topic, code: errorCode(error) });
        logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, code: errorCode(error), reason: errorMessage(error) }, 'dead-lettered input event');
      }
    }
    const partials = ingest.drain();
    const pending = uncommitted.get(checkpointKey) ?? { outputs: [], events: 0, since: clock.now(), bytes: 0 };
    uncommitted.set(checkpointKey, pending);
    const produced = [...deadLetters, ...partials.map((p) => ({ topic: partialsTopic, key: p.model, value: encodePartial(p) }))];
    pending.outputs.push(...produced);
    pending.bytes += produced.reduce((n, m) => n + (m.value?.length ?? 0), 0);
    pending.events += batch.messages.length;
    if (!control.isActive()) return reset();
    // Counted as processed: a replay after a crash counts its events again (counters are per process anyway).
    for (const model of featureModels) metrics.events.inc({ topic: batch.topic, model: model.id }, good);
    for (const model of labelModels) if (!featureModels.includes(model)) metrics.events.inc({ topic: batch.topic, model: model.id }, good);
    for (const model of featureModels) metrics.lateEvents.set({ model: model.id, topic: batch.topic, partition: String(batch.partition) }, ingest.lateEvents(model.id));
    const last = batch.messages[batch.messages.length - 1]!;
    const nextOffset = (BigInt(batch.lastOffset) + 1n).toString();
    const caughtUp = BigInt(nextOffset) >= BigInt(batch.highWatermark);
    if (!caughtUp && pending.events < COMMIT_EVENTS && pending.bytes < COMMIT_BYTES && clock.now() - pending.since < COMMIT_MS) {
      control.advance(nextOffset);
      return;
    }
    const state = ingest.toJSON();
    const checkpoint = store.message(checkpointKey, state);
    try {
      await control.commit(nextOffset, [...pending.outputs, checkpoint]);
    } catch (error) {
      if (isRetriable(error)) return retryLater(batch, control, error, reset);
      reset();
      throw error;
    }
    uncommitted.delete(checkpointKey);
    attempts.delete(`${batch.topic}:${batch.partition}`);
    checkpoints.set(checkpointKey, JSON.stringify(state));
    metrics.stateBytes.set({ stage: 'ingest', key: `${batch.topic}/${batch.partition}` }, checkpoint.value?.length ?? 0);
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n));
  }

  // ---- stage 2: judge -----------------------------------------------------
  const judgeStage: StageContext = { checkpoints: undefined, stale: true };
  const judges = new Map<string, ModelJudge>();

  const pendingKey = (modelId: string, window: string): string => `judge/${modelId}/pending/${window}`;

  function judgeFor(model: ModelSpec, checkpoints: Map<string, string>): ModelJudge {
    let judge = judges.get(model.id);
    if (!judge) {
      const savedText = checkpoints.get(`judge/${model.id}`);
      const saved = savedText ? (JSON.parse(savedText) as JudgeState) : undefined;
      if (saved) {
        // Pending windows live in records of their own (see toJSONWithoutPending).
        const prefix = pendingKey(model.id, '');
        for (const [key, value] of checkpoints) {
          if (key.startsWith(prefix)) saved.pending[key.slice(prefix.length)] = JSON.parse(value) as JudgeState['pending'][string];
        }
      }
      judge = new ModelJudge(model, saved);
      judges.set(model.id, judge);
    }
    return judge;
  }

  function observe(verdict: WindowVerdict, familyId: string): void {
    metrics.windowsClosed.inc({ model: familyId });
    for (const s of verdict.statistics) metrics.driftStatistic.set({ model: familyId, feature: s.feature }, s.statistic);
    if (verdict.suppressed) metrics.suppressed.inc({ model: familyId, reason: verdict.suppressed });
  }

  async function onJudgeBatch(batch: PartitionBatch, control: BatchControl): Promise<void> {
    if (batch.messages.length === 0) return;
    const touched = new Set<string>();
    const reset = (): void => {
      for (const id of touched) judges.delete(id);
    };
    let checkpoints: Map<string, string>;
    try {
      checkpoints = await ensureCheckpoints(judgeStage);
    } catch (error) {
      if (isRetriable(error)) return retryLater(batch, control, error, reset);
      throw error;
    }
    const deadLetters: OutboundMessage[] = [];
    const requests: OutboundMessage[] = [];
    for (const message of batch.messages) {
      let partial: TriggerPartial;
      let model: ModelSpec | undefined;
      try {
        partial = decodePartial(message.value);
        model = models.get(partial.model);
        if (!model) throw new RoundhouseError(ErrorCodes.VALIDATION, `partial for model ${partial.model}, which is not in the catalog`);
      } catch (error) {
        deadLetters.push(deadLetter(message as InboundMessage, error, `${groupId}-judge`, clock.now()));
        metrics.decodeFailures.inc({ topic: batch.topic, code: errorCode(error) });
        continue;
      }
      const judge = judgeFor(model, checkpoints);
      touched.add(model.id);
      if (partial.kind === 'labels') {
        judge.addLabels(partial);
        continue;
      }
      const out = judge.addFeatures(partial, follower);
      for (const verdict of out.verdicts) observe(verdict, model.id);
      for (const request of out.requests) {
        requests.push(deps.codec.message('RetrainRequested', request));
        metrics.requests.inc({ model: model.id, reason: request.reason });
        logger.info({ modelId: request.modelId, requestId: request.requestId, reason: request.reason, drifted: request.drift?.features.filter((f) => f.drifted).map((f) => f.feature) }, 'retraining requested');
      }
    }
    const checkpointMessages: OutboundMessage[] = [];
    const pendingUpdates: [string, string | null][] = [];
    for (const id of touched) {
      const judge = judges.get(id)!;
      checkpointMessages.push(store.message(`judge/${id}`, judge.toJSONWithoutPending()));
      const { changed, judged } = judge.takePendingChanges();
      for (const window of changed) {
        const summary = judge.pendingWindow(window)!;
        checkpointMessages.push(store.message(pendingKey(id, window), summary));
        pendingUpdates.push([pendingKey(id, window), JSON.stringify(summary)]);
      }
      for (const window of judged) {
        checkpointMessages.push({ topic: topics.triggerState, key: pendingKey(id, window), value: null, partition: 0 });
        pendingUpdates.push([pendingKey(id, window), null]);
      }
    }
    if (!control.isActive()) return reset();
    try {
      await control.commit((BigInt(batch.lastOffset) + 1n).toString(), [...deadLetters, ...requests, ...checkpointMessages]);
    } catch (error) {
      if (isRetriable(error)) return retryLater(batch, control, error, reset);
      reset();
      throw error;
    }
    attempts.delete(`${batch.topic}:${batch.partition}`);
    for (const id of touched) {
      const state = JSON.stringify(judges.get(id)!.toJSONWithoutPending());
      checkpoints.set(`judge/${id}`, state);
      metrics.stateBytes.set({ stage: 'judge', key: id }, state.length);
    }
    for (const [key, value] of pendingUpdates) {
      if (value === null) checkpoints.delete(key);
      else checkpoints.set(key, value);
    }
  }

  return {
    async start() {
      await deps.bus.ensureTopics([
        { name: topics.triggerState, partitions: 1, compacted: true },
        { name: partialsTopic, partitions: deps.partialsPartitions ?? 3 },
        { name: dlqTopic(partialsTopic) },
        { name: topics.retrainRequests },
        { name: topics.modelReady, compacted: true },
        { name: topics.trainingRuns },
        ...inputTopics.map((name) => ({ name: dlqTopic(name) })),
      ]);
      for (const topic of inputTopics) {
        const ends = await deps.bus.endOffsets(topic);
        if (ends.size === 0) throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `input topic ${topic} does not exist`, { context: { topic } });
        partitionCounts.set(topic, ends.size);
      }
      follower.onChampion((modelId, event) => {
        metrics.championVersion.set({ model: modelId }, event.version);
        logger.info({ modelId, version: event.version }, 'reference profile switched to the new champion');
      });
      await follower.start();
      for (const [modelId, version] of follower.championVersions()) metrics.championVersion.set({ model: modelId }, version);

      const onAssigned = (stage: StageContext, owned: Map<string, unknown>) => (assigned: readonly TopicPartition[]) => {
        stage.stale = true;
        owned.clear();
        logger.info({ partitions: assigned.length }, 'partitions assigned; checkpoints will be reloaded');
      };
      subscriptions.push(
        await deps.bus.subscribe({
          groupId: `${groupId}-ingest`,
          topics: inputTopics,
          fromBeginning: true,
          transactionalId: `${groupId}-ingest-${deps.instanceId}`,
          onAssignment: (assigned) => {
            uncommitted.clear();
            onAssigned(ingestStage, ingests)(assigned);
          },
          onBatch: onIngestBatch,
        }),
      );
      subscriptions.push(
        await deps.bus.subscribe({
          groupId: `${groupId}-judge`,
          topics: [partialsTopic],
          fromBeginning: true,
          transactionalId: `${groupId}-judge-${deps.instanceId}`,
          onAssignment: onAssigned(judgeStage, judges),
          onBatch: onJudgeBatch,
        }),
      );
      subscriptions.forEach((subscription, i) => {
        const stage = i === 0 ? 'ingest' : 'judge';
        subscription.done.catch((error: unknown) => {
          ready = false;
          logger.error({ err: error, stage }, `trigger ${stage} consumer stopped for good: ${errorMessage(error)}`);
          deps.onFatal?.(stage, error);
        });
      });
      ready = true;
      deps.readiness?.register('trigger', () =>
        ready && subscriptions.every((s) => s.isConsuming()) ? { ready: true } : { ready: false, detail: 'trigger consumers not consuming' },
      );
      logger.info({ inputTopics, models: models.size, instanceId: deps.instanceId }, 'trigger started');
    },
    async stop() {
      ready = false;
      for (const subscription of subscriptions.splice(0)) await subscription.stop();
      await follower.stop();
    },
    championVersions: () => follower.championVersions(),
    consumerGroups: () => [
      { groupId: `${groupId}-ingest`, topics: inputTopics },
      { groupId: `${groupId}-judge`, topics: [partialsTopic] },
    ],
  };
}
