import type { BatchControl, ConsumerGroupTopics, EventBus, InboundMessage, OutboundMessage, PartitionBatch, Subscription, TopicPartition } from '../../lib/bus';
import { deadLetter, dlqTopic, recordsArrive } from '../../lib/bus';
import type { Catalog, ModelSpec } from '../../lib/catalog';
import { Clock, backoffDelay, systemClock } from '../../lib/clock';
import type { PlatformCodec } from '../../lib/codec';
import { ErrorCodes, RoundhouseError, errorCode, errorMessage, isRetriable } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import type { Readiness, ServiceMetrics } from '../../lib/metrics';
import { CheckpointStore, STATE_TOPIC_CONFIG } from './checkpoints';
import { chunkedMessages, committedState, readChunked } from './chunked';
import { compileFeaturePlan, compileLabelPlan } from './core/extract';
import { judgeKey, planGroups, type TriggerGroup } from './core/groups';
import { IngestPartition, groupFeaturePlan, groupLabelPlan, type GroupFeaturePlan, type GroupLabelPlan, type IngestState } from './core/ingest';
import { GroupJudge, type JudgeState, type WindowVerdict } from './core/judge';
import { decodePartial, encodePartial, type Partial as TriggerPartial } from './core/partials';
import { MODEL_READY_TOPIC_CONFIG, subjectFor } from '../../lib/events';
import { ChampionFollower } from './follower';
import { CommitPace } from './pace';
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
  /**
   * Commit cadence of both stages (defaults: 20,000 events or 1 s, and whenever
   * caught up), stretched while behind so a commit costs at most about a tenth
   * of the time between commits (see CommitPace).
   */
  readonly commitEvery?: { readonly events: number; readonly ms: number };
  /** How often caught-up partitions without batches announce it (default 5 s; see heartbeat()). */
  readonly heartbeatMs?: number;
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
  checkpoints: Map<string, unknown> | undefined;
  stale: boolean;
  /** The load in progress, shared by the partitions whose batches wait for it (PARTITIONS_CONCURRENTLY). */
  loading?: { readonly generation: number; readonly promise: Promise<Map<string, unknown>> };
  /** Bumped by every assignment: a load begun before it is not the current one. */
  generation: number;
}

/**
 * Partitions of one stage processed at once. A partition's work is its own
 * (state keyed by partition, shard or checkpoint key); the stage's commits go
 * one at a time through its transactional producer, so this lets the other
 * partitions work while one waits for its transaction.
 */
const PARTITIONS_CONCURRENTLY = 4;

export function createTriggerApp(deps: TriggerDeps): TriggerApp {
  const logger = deps.logger.child({ service: 'trigger' });
  const clock = deps.clock ?? systemClock;
  const groupId = deps.groupId ?? 'roundhouse-trigger';
  const topics = deps.codec.topics;
  const partialsTopic = `${topics.triggerState.replace(/trigger-state$/, 'trigger-partials')}`;
  const store = new CheckpointStore(deps.bus, topics.triggerState, logger, clock);
  const follower = new ChampionFollower(deps.bus, deps.codec, logger, groupId, clock);
  const metrics: TriggerMetrics = createTriggerMetrics(deps.metrics);
  initialiseTriggerCounters(metrics, deps.catalog.models.map((m) => m.id));
  const models = new Map(deps.catalog.models.map((m) => [m.id, m]));
  const groups = planGroups(deps.catalog.models);
  for (const group of groups) {
    for (const model of group.models) {
      metrics.duplicateLabelPartials.inc({ model: model.id, topic: group.labelTopic }, 0);
      metrics.overlappingLabelPartials.inc({ model: model.id, topic: group.labelTopic }, 0);
    }
  }
  const inputTopics = [...new Set(groups.flatMap((g) => [g.featureTopic, g.labelTopic]))];
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

  /** The stage's checkpoints, loaded once per assignment however many partitions ask at once. */
  async function ensureCheckpoints(stage: StageContext): Promise<Map<string, unknown>> {
    while (stage.stale || !stage.checkpoints) {
      if (stage.loading?.generation !== stage.generation) {
        const generation = stage.generation;
        const promise = store.load().then((loaded) => {
          if (stage.generation === generation) {
            stage.checkpoints = loaded;
            stage.stale = false;
          }
          return loaded;
        });
        stage.loading = { generation, promise };
        promise.catch(() => undefined).finally(() => {
          if (stage.loading?.promise === promise) stage.loading = undefined;
        });
      }
      const loaded = await stage.loading!.promise;
      if (!stage.stale && stage.checkpoints === loaded) return loaded;
    }
    return stage.checkpoints;
  }

  // ---- stage 1: ingest ----------------------------------------------------
  const ingestStage: StageContext = { checkpoints: undefined, stale: true, generation: 0 };
  const ingests = new Map<string, IngestPartition>();
  /** Checkpoint pieces last written per key (chunked.ts), so shrinking checkpoints tombstone the rest. */
  const pieces = new Map<string, number>();
  /**
   * Outputs and progress since a partition's last commit. Committing (a
   * transaction with a gzip'd checkpoint) every fetched batch dominated the
   * trigger's cost, so ingest commits every COMMIT_EVENTS events or COMMIT_MS,
   * and whenever it has caught up with the partition; in between it only moves
   * its fetch position. A crash or rebalance replays from the last commit, which
   * rebuilds exactly these outputs (the stage is deterministic). Partials are
   * drained at commit time, so a commit carries one progress record per shard.
   */
  const uncommitted = new Map<string, { outputs: OutboundMessage[]; events: number; since: number }>();
  const COMMIT_EVENTS = deps.commitEvery?.events ?? 20_000;
  const COMMIT_MS = deps.commitEvery?.ms ?? 1_000;
  const ingestPace = new CommitPace(clock);
  /** Last time a batch of each input partition was handled (the idle heartbeat leaves those alone). */
  const lastBatchAt = new Map<string, number>();
  const assignedInputs: TopicPartition[] = [];
  // Keyed by (topic, writer schema id): two topics may share a writer schema and
  // still feed different models (issue 11: keyed by schema id alone, the second
  // topic's events all hit the first topic's plans and were dead-lettered).
  const featurePlans = new Map<string, Map<string, GroupFeaturePlan>>();
  const labelPlans = new Map<string, Map<string, GroupLabelPlan>>();

  function ingestFor(topic: string, partition: number, checkpoints: Map<string, unknown>): IngestPartition {
    const key = `ingest/${topic}/${partition}`;
    let ingest = ingests.get(key);
    if (!ingest) {
      const saved = readChunked(checkpoints, key);
      if (saved && saved.pieces >= 0) pieces.set(key, saved.pieces);
      const groupsHere = groups.filter((g) => g.featureTopic === topic || g.labelTopic === topic);
      ingest = new IngestPartition({ topic, partition, partitions: partitionCounts.get(topic) ?? 1, groups: groupsHere }, saved?.state as IngestState | undefined);
      ingests.set(key, ingest);
    }
    return ingest;
  }

  /**
   * The group plans a (topic, writer schema) feeds, compiled once. A model that
   * does not fit the schema (a field missing or of the wrong type) is left out
   * for that schema, with one error log and a gauge, and the other models on the
   * topic carry on (issue 11: one such model dead-lettered every event for every
   * model).
   */
  function plansFor<P, G>(
    cache: Map<string, Map<string, G>>,
    kind: 'features' | 'labels',
    topic: string,
    schemaId: number,
    groupsHere: readonly TriggerGroup[],
    compile: (m: ModelSpec) => P,
    combine: (group: TriggerGroup, plans: ReadonlyMap<string, P>) => G | null,
  ): Map<string, G> {
    const key = `${topic}\u0000${schemaId}`;
    let plans = cache.get(key);
    if (!plans) {
      plans = new Map();
      for (const group of groupsHere) {
        const modelPlans = new Map<string, P>();
        for (const model of group.models) {
          try {
            modelPlans.set(model.id, compile(model));
          } catch (error) {
            if (isRetriable(error)) throw error;
            metrics.modelsDisabled.set({ model: model.id, topic, kind }, 1);
            logger.error({ modelId: model.id, topic, schemaId, kind, reason: errorMessage(error) }, `model ${model.id} disabled for ${kind} of ${topic} written with schema ${schemaId}: ${errorMessage(error)}`);
          }
        }
        const plan = combine(group, modelPlans);
        if (plan) plans.set(group.id, plan);
      }
      cache.set(key, plans);
    }
    return plans;
  }

  function partialMessages(drained: ReturnType<IngestPartition['drain']>): OutboundMessage[] {
    return drained.map(({ key, partial }) => ({ topic: partialsTopic, key, value: encodePartial(partial) }));
  }

  /** The records of a checkpoint, and the JSON to keep once they are committed (see committedState). */
  function checkpointMessages(key: string, state: unknown, stage: 'ingest' | 'judge'): { messages: OutboundMessage[]; json: string } {
    const { messages, pieces: n, bytes, json } = chunkedMessages(topics.triggerState, key, state, pieces.get(key) ?? 0);
    pieces.set(key, n);
    metrics.stateBytes.set({ stage, key }, bytes);
    return { messages, json };
  }

  async function onIngestBatch(batch: PartitionBatch, control: BatchControl): Promise<void> {
    if (batch.messages.length === 0) return;
    const checkpointKey = `ingest/${batch.topic}/${batch.partition}`;
    lastBatchAt.set(`${batch.topic}:${batch.partition}`, clock.now());
    const reset = (): void => {
      ingests.delete(checkpointKey);
      uncommitted.delete(checkpointKey);
    };
    let checkpoints: Map<string, unknown>;
    try {
      checkpoints = await ensureCheckpoints(ingestStage);
      await deps.codec.avro.prepare(batch.messages.map((m) => m.value));
    } catch (error) {
      if (isRetriable(error)) return retryLater(batch, control, error, reset);
      throw error;
    }
    const ingest = ingestFor(batch.topic, batch.partition, checkpoints);
    const featureGroups = groups.filter((g) => g.featureTopic === batch.topic);
    const labelGroups = groups.filter((g) => g.labelTopic === batch.topic);
    const deadLetters: OutboundMessage[] = [];
    let good = 0;
    for (const message of batch.messages) {
      try {
        const record = deps.codec.avro.decodeGeneric(message.value);
        const row = record.value as Record<string, unknown>;
        if (featureGroups.length > 0) {
          const plans = plansFor(featurePlans, 'features', batch.topic, record.schemaId, featureGroups, (m) => compileFeaturePlan(m, record.type), groupFeaturePlan);
          ingest.addFeature(row, message.key, message.offset, plans, message.timestamp);
        }
        if (labelGroups.length > 0) {
          ingest.addLabel(row, message.key, plansFor(labelPlans, 'labels', batch.topic, record.schemaId, labelGroups, (m) => compileLabelPlan(m, record.type), groupLabelPlan), message.offset);
        }
        good++;
      } catch (error) {
        if (isRetriable(error)) return retryLater(batch, control, error, reset);
        deadLetters.push(deadLetter(message, error, `${groupId}-ingest`, clock.now()));
        metrics.decodeFailures.inc({ topic: batch.topic, code: errorCode(error) });
        logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, code: errorCode(error), reason: errorMessage(error) }, 'dead-lettered input event');
      }
    }
    const pending = uncommitted.get(checkpointKey) ?? { outputs: [], events: 0, since: clock.now() };
    uncommitted.set(checkpointKey, pending);
    pending.outputs.push(...deadLetters);
    pending.events += batch.messages.length;
    if (!control.isActive()) return reset();
    // Counted as processed: a replay after a crash counts its events again (counters are per process anyway).
    for (const group of new Set([...featureGroups, ...labelGroups])) for (const model of group.models) metrics.events.inc({ topic: batch.topic, model: model.id }, good);
    for (const group of featureGroups) {
      const late = ingest.lateEvents(group.id);
      for (const model of group.models) metrics.lateEvents.set({ model: model.id, topic: batch.topic, partition: String(batch.partition) }, late);
    }
    const last = batch.messages[batch.messages.length - 1]!;
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n));
    const nextOffset = (BigInt(batch.lastOffset) + 1n).toString();
    const caughtUp = BigInt(nextOffset) >= BigInt(batch.highWatermark);
    if (!caughtUp && !ingestPace.due(checkpointKey, pending.events >= COMMIT_EVENTS || clock.now() - pending.since >= COMMIT_MS)) {
      control.advance(nextOffset);
      return;
    }
    const commitStarted = clock.now();
    const partials = partialMessages(ingest.drain(caughtUp));
    const checkpoint = checkpointMessages(checkpointKey, ingest.toJSON(), 'ingest');
    const outputs = [...pending.outputs, ...partials, ...checkpoint.messages];
    const built = clock.now();
    try {
      await control.commit(nextOffset, outputs);
    } catch (error) {
      if (isRetriable(error)) return retryLater(batch, control, error, reset);
      reset();
      throw error;
    }
    uncommitted.delete(checkpointKey);
    attempts.delete(`${batch.topic}:${batch.partition}`);
    checkpoints.set(checkpointKey, committedState(checkpoint.json));
    ingestPace.committed(checkpointKey, commitStarted, built);
  }

  /**
   * Partitions that never get a batch (no events at all, or none since the last
   * commit) still have to say "caught up", or the judges would wait for them
   * forever: every HEARTBEAT_MS, each assigned feature partition without a batch
   * since the last round whose committed offset is at its end publishes its
   * progress (caughtUp). The record only states what the log already says.
   */
  const HEARTBEAT_MS = deps.heartbeatMs ?? 5_000;
  let heartbeatTimer: (() => void) | undefined;
  let heartbeatRound = 0;
  async function heartbeat(): Promise<void> {
    const round = clock.now();
    // Label partitions of PERFORMANCE groups announce their progress too (the judge waits for every label partition; core/performance.ts).
    const idle = assignedInputs.filter((tp) => groups.some((g) => g.featureTopic === tp.topic || (g.performance !== null && g.labelTopic === tp.topic)) && (lastBatchAt.get(`${tp.topic}:${tp.partition}`) ?? -Infinity) < round - HEARTBEAT_MS);
    if (idle.length === 0) return;
    const checkpoints = await ensureCheckpoints(ingestStage);
    const outputs: OutboundMessage[] = [];
    for (const topic of new Set(idle.map((tp) => tp.topic))) {
      const [ends, committed] = await Promise.all([deps.bus.endOffsets(topic), deps.bus.committedOffsets(`${groupId}-ingest`, topic)]);
      for (const tp of idle.filter((t) => t.topic === topic)) {
        const key = `${tp.topic}:${tp.partition}`;
        if ((lastBatchAt.get(key) ?? -Infinity) >= round - HEARTBEAT_MS || uncommitted.has(`ingest/${tp.topic}/${tp.partition}`)) continue; // a batch came in meanwhile
        const end = BigInt(ends.get(tp.partition) ?? '0');
        const at = BigInt(committed.get(tp.partition) ?? '0');
        if (at < end) continue;
        outputs.push(...partialMessages(ingestFor(tp.topic, tp.partition, checkpoints).drain(true)));
      }
    }
    if (outputs.length > 0) await deps.bus.publish(outputs);
  }
  function scheduleHeartbeat(): void {
    heartbeatTimer = clock.schedule(HEARTBEAT_MS, () => {
      const round = ++heartbeatRound;
      heartbeat()
        .catch((error: unknown) => logger.warn({ err: error, round }, 'idle-partition heartbeat failed; retrying next round'))
        .finally(() => {
          if (heartbeatTimer !== undefined) scheduleHeartbeat();
        });
    });
  }

  // ---- stage 2: judge -----------------------------------------------------
  const judgeStage: StageContext = { checkpoints: undefined, stale: true, generation: 0 };
  const judges = new Map<string, GroupJudge>();
  const groupsById = new Map(groups.map((g) => [g.id, g]));
  const judgeUncommitted = new Map<number, { outputs: OutboundMessage[]; touched: Set<string>; records: number; since: number }>();
  const judgePace = new CommitPace(clock);
  /** How often a pacing judge looks for new partials (recordsArrive). */
  const JUDGE_WAIT_POLL_MS = 50;
  /** Per judge key (group/shard): whether its inputs were all caught up at its last commit (the backlog rule in onJudgeBatch). */
  const inputsCaughtUpAtCommit = new Map<string, boolean>();

  function judgeFor(group: TriggerGroup, shard: number, checkpoints: Map<string, unknown>): GroupJudge {
    const key = judgeKey(group.id, shard);
    let judge = judges.get(key);
    if (!judge) {
      const core = readChunked(checkpoints, `judge/${key}`);
      const members = readChunked(checkpoints, `judge/${key}/members`);
      if (core && core.pieces >= 0) pieces.set(`judge/${key}`, core.pieces);
      if (members && members.pieces >= 0) pieces.set(`judge/${key}/members`, members.pieces);
      // Both parts are written in the same transaction as the offsets; members only when they changed.
      const state = core && members ? ({ ...(core.state as object), ...(members.state as object) } as JudgeState) : undefined;
      judge = new GroupJudge(group, shard, state);
      judges.set(key, judge);
    }
    return judge;
  }

  function observe(verdicts: readonly WindowVerdict[]): void {
    const windows = new Map<string, Set<number>>();
    for (const verdict of verdicts) {
      const seen = windows.get(verdict.catalogId) ?? new Set<number>();
      seen.add(verdict.window.start);
      windows.set(verdict.catalogId, seen);
      for (const s of verdict.statistics) metrics.driftStatistic.set({ model: verdict.catalogId, feature: s.feature }, s.statistic);
      if (verdict.suppressed) {
        metrics.suppressed.inc({ model: verdict.catalogId, reason: verdict.suppressed });
        logger.debug({ modelId: verdict.modelId, reason: verdict.suppressed, attempt: verdict.attempt, windowEnd: verdict.window.end }, verdict.why);
      }
      if (verdict.learnt) {
        metrics.outcomes.inc({ model: verdict.catalogId, outcome: verdict.learnt.outcome });
        logger.info({ modelId: verdict.modelId, requestId: verdict.learnt.requestId, outcome: verdict.learnt.outcome, failures: verdict.attempt }, 'request ended without a promotion; its rules may fire again after the refire backoff');
      }
      if (verdict.performance) metrics.performanceMetric.set({ model: verdict.catalogId, metric: verdict.performance.metric }, verdict.performance.observed);
      if (verdict.dataToModelLagMs !== null) metrics.dataToModelLag.observe({ model: verdict.catalogId }, Math.max(0, verdict.dataToModelLagMs) / 1000);
    }
    for (const [model, starts] of windows) metrics.windowsClosed.inc({ model }, starts.size);
  }

  async function onJudgeBatch(batch: PartitionBatch, control: BatchControl): Promise<void> {
    if (batch.messages.length === 0) return;
    const pending = judgeUncommitted.get(batch.partition) ?? { outputs: [], touched: new Set<string>(), records: 0, since: clock.now() };
    const reset = (): void => {
      for (const key of pending.touched) judges.delete(key);
      judgeUncommitted.delete(batch.partition);
    };
    let checkpoints: Map<string, unknown>;
    try {
      checkpoints = await ensureCheckpoints(judgeStage);
    } catch (error) {
      if (isRetriable(error)) return retryLater(batch, control, error, reset);
      throw error;
    }
    judgeUncommitted.set(batch.partition, pending);
    for (const message of batch.messages) {
      let partial: TriggerPartial;
      let group: TriggerGroup | undefined;
      try {
        partial = decodePartial(message.value);
        group = groupsById.get(partial.group);
        if (!group) throw new RoundhouseError(ErrorCodes.VALIDATION, `partial for group ${partial.group}, which the catalog no longer has (its models changed)`);
      } catch (error) {
        pending.outputs.push(deadLetter(message as InboundMessage, error, `${groupId}-judge`, clock.now()));
        metrics.decodeFailures.inc({ topic: batch.topic, code: errorCode(error) });
        continue;
      }
      const judge = judgeFor(group, partial.shard, checkpoints);
      pending.touched.add(judgeKey(group.id, partial.shard));
      if (partial.kind === 'labels') {
        const application = judge.addLabels(partial);
        if (application !== 'applied') {
          const where = { group: group.id, shard: partial.shard, topic: partial.topic, partition: partial.partition, from: partial.from, through: partial.through, part: partial.part, parts: partial.parts, offset: message.offset };
          if (application === 'duplicate') {
            for (const model of group.models) metrics.duplicateLabelPartials.inc({ model: model.id, topic: partial.topic });
            logger.debug(where, 'label partial already applied (redelivered); skipped');
          } else {
            for (const model of group.models) metrics.overlappingLabelPartials.inc({ model: model.id, topic: partial.topic });
            logger.warn(where, 'label partial overlaps the labels already applied for its partition (a replay that began before the last applied range): the overlap is counted twice');
          }
        }
        continue;
      }
      const out = judge.addFeatures(partial, follower);
      observe(out.verdicts);
      for (const [partition, late] of Object.entries(judge.lateEvents())) metrics.judgeLateEvents.set({ topic: group.featureTopic, partition }, late);
      metrics.idlePartitions.set({ topic: group.featureTopic }, judge.idlePartitions().length);
      for (const decided of out.requests) {
        // The decision is event time; emittedAt is the wall clock, for latency only (request_to_promotion_seconds).
        const request = { ...decided, emittedAt: clock.now() };
        pending.outputs.push(deps.codec.message('RetrainRequested', request));
        const catalogId = models.has(request.modelId) ? request.modelId : (group.models.find((m) => m.family !== null && request.modelId.startsWith(m.id))?.id ?? request.modelId);
        metrics.requests.inc({ model: catalogId, reason: request.reason });
        logger.info({ modelId: request.modelId, requestId: request.requestId, reason: request.reason, drifted: request.drift?.features.filter((f) => f.drifted).map((f) => f.feature) }, 'retraining requested');
      }
    }
    pending.records += batch.messages.length;
    if (!control.isActive()) return reset();
    const nextOffset = (BigInt(batch.lastOffset) + 1n).toString();
    const caughtUp = BigInt(nextOffset) >= BigInt(batch.highWatermark);
    const paceKey = String(batch.partition);
    if (!caughtUp && !judgePace.due(paceKey, pending.records >= COMMIT_EVENTS || clock.now() - pending.since >= COMMIT_MS)) {
      control.advance(nextOffset);
      return;
    }
    // A caught-up judge waits out its pace so the partials of the next ingest
    // commits share one commit — except when this batch ended a backlog: every
    // input partition of a touched shard now says it is at the end of its log,
    // where before it did not (the end of a catch-up or a replay). Nothing more
    // is coming then; waiting would only delay the last verdicts.
    const backlogEnded = [...pending.touched].some((key) => judges.get(key)!.inputsCaughtUp() && inputsCaughtUpAtCommit.get(key) !== true);
    const wait = caughtUp && !backlogEnded ? judgePace.caughtUpWaitMs(paceKey) : 0;
    if (wait > 0) {
      const more = await recordsArrive(deps.bus, clock, {
        topic: batch.topic,
        partition: batch.partition,
        offset: nextOffset,
        withinMs: wait,
        pollMs: JUDGE_WAIT_POLL_MS,
        abandon: () => !control.isActive(),
        onPollError: (error) => logger.debug({ err: error, topic: batch.topic, partition: batch.partition }, 'partials end offset not read while pacing a judge commit; waiting on'),
      });
      if (!control.isActive()) return reset();
      // They share this batch's commit: the next batch's handler commits both.
      // (The partition's end is its last stable offset, so "more" is committed
      // partials — or an aborted transaction's records, which kafkajs skips
      // without a batch; an ingest commit that aborts is followed by its retry
      // or by the next holder's replay of the same events, a real batch here.
      // Until then this batch stays uncommitted, and a judge restarting in the
      // meantime recomputes it from the last commit.)
      if (more) {
        control.advance(nextOffset);
        return;
      }
    }
    const commitStarted = clock.now();
    const states = [...pending.touched].flatMap((key) => {
      const parts = judges.get(key)!.checkpoint();
      return [[`judge/${key}`, parts.core] as const, ...(parts.members ? [[`judge/${key}/members`, parts.members] as const] : [])];
    });
    for (const [key, judge] of [...pending.touched].map((k) => [k, judges.get(k)!] as const)) {
      const overflow = judge.overflowFolds();
      const group = groupsById.get(key.slice(0, key.indexOf('/')))!;
      if (group.segmentField !== null) for (const model of group.models) metrics.overflowFolds.set({ model: model.id, shard: key.slice(key.indexOf('/') + 1) }, overflow);
      const bounds = judge.performanceBounds();
      if (bounds) {
        for (const model of group.models.filter((m) => m.triggers.performance.enabled)) {
          const shard = key.slice(key.indexOf('/') + 1);
          metrics.performanceSample.set({ model: model.id, shard, measure: 'scores' }, bounds.sampled);
          metrics.performanceSample.set({ model: model.id, shard, measure: 'threshold' }, bounds.threshold);
          metrics.performanceSample.set({ model: model.id, shard, measure: 'thinned' }, bounds.thinned);
          metrics.performanceSample.set({ model: model.id, shard, measure: 'labels_evicted' }, bounds.labelsEvicted);
        }
      }
    }
    const written = states.map(([key, state]) => [key, checkpointMessages(key, state, 'judge')] as const);
    const outputs = [...pending.outputs, ...written.flatMap(([, c]) => c.messages)];
    const built = clock.now();
    try {
      await control.commit(nextOffset, outputs);
    } catch (error) {
      if (isRetriable(error)) return retryLater(batch, control, error, reset);
      reset();
      throw error;
    }
    judgeUncommitted.delete(batch.partition);
    attempts.delete(`${batch.topic}:${batch.partition}`);
    judgePace.committed(paceKey, commitStarted, built);
    for (const key of pending.touched) inputsCaughtUpAtCommit.set(key, judges.get(key)?.inputsCaughtUp() ?? false);
    // The committed JSON, not the live state: the judge goes on mutating it, and a reset must restart from what was committed.
    for (const [key, c] of written) checkpoints.set(key, committedState(c.json));
  }

  /**
   * A family routes each label to its member by the label record's segment
   * field; without it labels cannot reach their members (issue 11: the Kafka key
   * was used, and each chargeback became a member of its own). Checked at
   * start-up against the label subject's latest schema, naming the field and
   * every family concerned. A label topic with no schema yet is checked at its
   * first label (compileLabelPlan disables the family for that schema, with an
   * error log and roundhouse_trigger_models_disabled).
   */
  async function refuseUnroutableLabels(): Promise<void> {
    const problems: string[] = [];
    for (const group of groups) {
      if (group.segmentField === null) continue;
      const subject = subjectFor(group.labelTopic);
      const type = (await deps.codec.avro.latestType(subject)) as { fields?: readonly { name: string }[] } | null;
      if (type === null || (type.fields ?? []).some((f) => f.name === group.segmentField)) continue;
      for (const model of group.models) {
        problems.push(`family ${model.id}: the label records of ${group.labelTopic} (latest schema of subject ${subject}) have no segment field ${group.segmentField}, so no label can reach its member; add ${group.segmentField} to the label record`);
      }
    }
    if (problems.length > 0) {
      throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `${problems.length} famil${problems.length === 1 ? 'y' : 'ies'} cannot route labels: ${problems.join('; ')}`, { retriable: false, context: { problems: problems.length } });
    }
  }

  return {
    async start() {
      await deps.bus.ensureTopics([
        { name: topics.triggerState, partitions: 1, compacted: true, config: STATE_TOPIC_CONFIG },
        { name: partialsTopic, partitions: deps.partialsPartitions ?? 3 },
        { name: dlqTopic(partialsTopic) },
        { name: topics.retrainRequests },
        { name: topics.modelReady, compacted: true, config: MODEL_READY_TOPIC_CONFIG },
        { name: topics.trainingRuns },
        { name: topics.evaluations },
        ...inputTopics.map((name) => ({ name: dlqTopic(name) })),
      ]);
      for (const topic of inputTopics) {
        const ends = await deps.bus.endOffsets(topic);
        if (ends.size === 0) throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `input topic ${topic} does not exist`, { context: { topic } });
        partitionCounts.set(topic, ends.size);
      }
      await refuseUnroutableLabels();
      follower.onChampion((modelId, event) => {
        metrics.championVersion.set({ model: modelId }, event.version);
        logger.info({ modelId, version: event.version }, 'reference profile switched to the new champion');
      });
      await follower.start();
      for (const [modelId, version] of follower.championVersions()) metrics.championVersion.set({ model: modelId }, version);

      const onAssigned = (stage: StageContext, owned: Map<string, unknown>) => (assigned: readonly TopicPartition[]) => {
        stage.stale = true;
        stage.generation++;
        owned.clear();
        logger.info({ partitions: assigned.length }, 'partitions assigned; checkpoints will be reloaded');
      };
      subscriptions.push(
        await deps.bus.subscribe({
          groupId: `${groupId}-ingest`,
          topics: inputTopics,
          fromBeginning: true,
          // Per input partition, the same on every instance: whoever is given a
          // partition fences its previous holder (lib/bus SubscribeOptions).
          transactionalId: `${groupId}-ingest`,
          transactionalIdPerPartition: true,
          partitionsConcurrently: PARTITIONS_CONCURRENTLY,
          onAssignment: (assigned) => {
            uncommitted.clear();
            assignedInputs.splice(0, assignedInputs.length, ...assigned);
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
          transactionalId: `${groupId}-judge`,
          transactionalIdPerPartition: true,
          partitionsConcurrently: PARTITIONS_CONCURRENTLY,
          onAssignment: (assigned) => {
            judgeUncommitted.clear();
            onAssigned(judgeStage, judges)(assigned);
          },
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
      scheduleHeartbeat();
      ready = true;
      deps.readiness?.register('trigger', () =>
        ready && subscriptions.every((s) => s.isConsuming()) ? { ready: true } : { ready: false, detail: 'trigger consumers not consuming' },
      );
      logger.info({ inputTopics, models: models.size, groups: groups.length, instanceId: deps.instanceId }, 'trigger started');
    },
    async stop() {
      ready = false;
      const cancel = heartbeatTimer;
      heartbeatTimer = undefined;
      cancel?.();
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
