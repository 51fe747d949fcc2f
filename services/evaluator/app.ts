import type { ArtifactStore } from '../../lib/artifacts';
import type { ConsumerGroupTopics, EventBus, RunningConsumer } from '../../lib/bus';
import { startConsumer } from '../../lib/bus';
import { resolveModel, type Catalog } from '../../lib/catalog';
import { Clock, systemClock } from '../../lib/clock';
import type { PlatformCodec } from '../../lib/codec';
import { MODEL_READY_TOPIC_CONFIG } from '../../lib/events';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import { SINGLE_PROCESS_EPOCH } from '../../lib/leader';
import type { Logger } from '../../lib/log';
import type { Readiness, ServiceMetrics } from '../../lib/metrics';
import { commandsTopicFor, decodeCommand, type EvaluatorCommand } from './commands';
import { createEvaluatorEngine } from './engine';
import { StateFollower } from './follower';
import { DEFAULT_ARTIFACT_LIMITS, type ArtifactLimits } from './limits';
import { createEvaluatorMetrics, initialiseEvaluatorCounters } from './metrics';
import { EvaluatorState, type StateLimits } from './state';

/**
 * The evaluator service: follows its state topics (model-ready, evaluations,
 * retrain-requests, training-results), then consumes
 * roundhouse.training-results (judge each candidate, publish ModelEvaluated and,
 * on PROMOTE, ModelReady) and roundhouse.evaluator-commands (operators'
 * force-promote, force-reject, rollback). Offsets commit after the events are
 * acknowledged; redelivery changes nothing (engine.ts).
 */
export interface EvaluatorDeps {
  readonly bus: EventBus;
  readonly codec: PlatformCodec;
  readonly catalog: Catalog;
  readonly artifacts: ArtifactStore;
  /** How much of an artifact is read (limits.ts); default DEFAULT_ARTIFACT_LIMITS. */
  readonly artifactLimits?: ArtifactLimits;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly readiness?: Readiness;
  readonly clock?: Clock;
  /** Consumer group of the results consumer; the commands consumer uses `<groupId>-commands`. */
  readonly groupId?: string;
  /** How long start() waits for the state to catch up before consuming anyway. */
  readonly catchUpTimeoutMs?: number;
  readonly stateLimits?: StateLimits;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

export interface EvaluatorApp {
  /** Follow state, then consume, as the leader of `leaderEpoch` (lib/leader; default 0, the single-process mode): what it publishes carries it. */
  start(leaderEpoch?: number): Promise<void>;
  stop(): Promise<void>;
  /** What the evaluator knows (champions, versions, evaluations): ops and tests. */
  readonly state: EvaluatorState;
  readonly commandsTopic: string;
  /** The groups whose committed offsets say how far the evaluator has got (results, commands). */
  consumerGroups(): readonly ConsumerGroupTopics[];
}

export function createEvaluatorApp(deps: EvaluatorDeps): EvaluatorApp {
  const logger = deps.logger.child({ service: 'evaluator' });
  const clock = deps.clock ?? systemClock;
  const groupId = deps.groupId ?? 'roundhouse-evaluator';
  const { codec, bus } = deps;
  const state = new EvaluatorState(deps.stateLimits);
  const metrics = createEvaluatorMetrics(deps.metrics);
  initialiseEvaluatorCounters(metrics, deps.catalog.models.map((m) => m.id));
  const commandsTopic = commandsTopicFor(codec.topics);
  let leaderEpoch = SINGLE_PROCESS_EPOCH;
  const engine = createEvaluatorEngine({ bus, codec, catalog: deps.catalog, artifacts: deps.artifacts, limits: deps.artifactLimits ?? DEFAULT_ARTIFACT_LIMITS, state, metrics, clock, logger, leaderEpoch: () => leaderEpoch });
  const followerSkips = deps.metrics.counter('state_skipped_total', 'Undecodable messages the state follower skipped.', ['topic', 'code']);
  const follower = new StateFollower(bus, codec, state, logger, groupId, commandsTopic, (topic, code) => followerSkips.inc({ topic, code }), clock);
  const consumers: RunningConsumer[] = [];
  const consumerDeps = { logger, metrics: deps.metrics, clock, ...(deps.readiness ? { readiness: deps.readiness } : {}), ...(deps.backoff ? { backoff: deps.backoff } : {}) };

  return {
    state,
    commandsTopic,
    consumerGroups: () => [
      { groupId, topics: [codec.topics.trainingResults] },
      { groupId: `${groupId}-commands`, topics: [commandsTopic] },
    ],
    async start(epoch = SINGLE_PROCESS_EPOCH) {
      leaderEpoch = epoch;
      await bus.ensureTopics([
        { name: codec.topics.trainingResults },
        { name: codec.topics.retrainRequests },
        { name: codec.topics.evaluations },
        { name: codec.topics.modelReady, compacted: true, config: MODEL_READY_TOPIC_CONFIG },
        { name: commandsTopic },
      ]);
      // Not ready until the state topics are read to their end (follower.start waits for it, however long).
      const caughtUp = deps.readiness?.flag('state');
      caughtUp?.set(false, 'reading the state topics to their end');
      await follower.start(deps.catchUpTimeoutMs ?? 60_000);
      caughtUp?.set(true, 'state topics read to their end');
      // Epochs only grow: a higher one already followed means this process would be fenced out
      // (its Lease was deleted and recreated at 1, or an evaluator without leader election shares these topics).
      if (state.highestLeaderEpoch() > epoch) {
        throw new RoundhouseError(
          ErrorCodes.CONFLICT,
          `the evaluator's topics hold events of leader epoch ${state.highestLeaderEpoch()}, above this evaluator's ${epoch}: ` +
            "was its Lease deleted, or does an evaluator without leader election share these topics? Raise the Lease's spec.leaseTransitions above it (docs/leader-election.md)",
          { retriable: false, context: { leaderEpoch: epoch, highest: state.highestLeaderEpoch() } },
        );
      }
      for (const [modelId, version] of state.championVersions()) {
        const model = resolveModel(deps.catalog, modelId)?.id;
        if (model === modelId) metrics.championVersion.set({ model }, version);
      }
      consumers.push(
        await startConsumer(
          bus,
          {
            name: 'results',
            groupId,
            topics: [codec.topics.trainingResults],
            prepare: (messages) => codec.avro.prepare(messages.map((m) => m.value)),
            decode: (message) => codec.decode('TrainingCompleted', message.value),
            handle: async (records) => {
              for (const { value } of records) await engine.onCompleted(value);
            },
          },
          consumerDeps,
        ),
      );
      consumers.push(
        await startConsumer<EvaluatorCommand>(
          bus,
          {
            name: 'commands',
            groupId: `${groupId}-commands`,
            topics: [commandsTopic],
            decode: (message) => decodeCommand(message.value),
            handle: async (records) => {
              for (const { value } of records) await engine.onCommand(value);
            },
          },
          consumerDeps,
        ),
      );
      logger.info({ groupId, commandsTopic }, 'evaluator consuming');
    },
    async stop() {
      for (const consumer of consumers.splice(0).reverse()) await consumer.stop();
      await follower.stop();
    },
  };
}
