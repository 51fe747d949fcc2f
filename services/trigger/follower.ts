import { randomUUID } from 'node:crypto';
import type { EventBus, InboundMessage, Subscription } from '../../lib/bus';
import { createBatchProcessor, readToEnd } from '../../lib/bus';
import { Clock, backoffDelay, systemClock } from '../../lib/clock';
import type { PlatformCodec } from '../../lib/codec';
import { ErrorCodes, errorCode, errorMessage, isRetriable } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import type { ModelEvaluated, ModelReady, RunState, TrainingRun } from '../../lib/events';
import type { RunOutcome } from './core/attempts';
import type { Champion, JudgeContext } from './core/judge';
import { NO_PROGRESS, outcomeOf, withEvaluation, withPromotion, withRun, type RequestProgress } from './core/outcome';

const IN_FLIGHT: ReadonlySet<RunState> = new Set<RunState>(['QUEUED', 'SUBMITTED', 'RUNNING']);

type Followed =
  | { readonly kind: 'ready'; readonly event: ModelReady }
  | { readonly kind: 'run'; readonly event: TrainingRun }
  | { readonly kind: 'evaluation'; readonly event: ModelEvaluated };

/**
 * Every trigger instance follows the whole of roundhouse.model-ready (the
 * champion and its reference profile, per model), roundhouse.training-runs
 * (which models have a run in flight) and roundhouse.evaluations, so that
 * whichever instance judges a model knows them, and what became of each request
 * (core/outcome.ts: promoted, rejected, failed, cancelled or pending), which is
 * how a rule learns it may fire again. This is soft state: rebuilt from the
 * topics at start-up, never checkpointed (the judge checkpoints the outcomes it
 * has acted on, core/attempts.ts). start() catches up with lib/bus readToEnd (no consumer group),
 * then follows live from the ends it reached, in a group of its own.
 */
export class ChampionFollower implements JudgeContext {
  private readonly champions = new Map<string, Champion & { readonly event: ModelReady }>();
  private readonly runs = new Map<string, { modelId: string; state: RunState; sequence: number }>();
  private readonly requests = new Map<string, RequestProgress>();
  private readonly processed = new Map<string, bigint>();
  private subscription: Subscription | undefined;
  private listeners: ((modelId: string, champion: ModelReady) => void)[] = [];

  constructor(
    private readonly bus: EventBus,
    private readonly codec: PlatformCodec,
    private readonly logger: Logger,
    private readonly groupPrefix: string,
    private readonly clock: Clock = systemClock,
  ) {}

  champion(modelId: string): Champion | undefined {
    return this.champions.get(modelId);
  }

  inFlight(modelId: string): boolean {
    for (const run of this.runs.values()) if (run.modelId === modelId && IN_FLIGHT.has(run.state)) return true;
    return false;
  }

  outcome(requestId: string): RunOutcome {
    return outcomeOf(this.requests.get(requestId) ?? NO_PROGRESS);
  }

  onChampion(listener: (modelId: string, champion: ModelReady) => void): void {
    this.listeners.push(listener);
  }

  championVersions(): ReadonlyMap<string, number> {
    return new Map([...this.champions].map(([id, c]) => [id, c.version]));
  }

  async start(catchUpTimeoutMs = 60_000): Promise<void> {
    const modelReady = this.codec.topicOf('ModelReady');
    const trainingRuns = this.codec.topicOf('TrainingRun');
    const topics = [modelReady, trainingRuns, this.codec.topicOf('ModelEvaluated')];
    // 1. Catch up: each topic from its log start to its end as of now.
    const deadline = this.clock.now() + catchUpTimeoutMs;
    const reached = new Map<string, ReadonlyMap<number, string>>();
    try {
      await Promise.all(
        topics.map(async (topic) => {
          reached.set(topic, await readToEnd(this.bus, topic, { clock: this.clock, timeoutMs: catchUpTimeoutMs, onMessages: (messages) => this.catchUp(messages, deadline) }));
        }),
      );
    } catch (error) {
      if (errorCode(error) !== ErrorCodes.TIMEOUT) throw error;
      this.logger.warn({ reason: errorMessage(error) }, 'champion follower did not catch up in time; judging with what it has');
    }
    // 2. Follow live from there: from the ends reached, or where a timed-out read got to.
    const groupId = `${this.groupPrefix}-follower-${randomUUID()}`;
    this.subscription = await this.bus.subscribe({
      groupId,
      topics,
      fromBeginning: true,
      initialOffsets: new Map(topics.map((topic) => [topic, reached.get(topic) ?? this.positions(topic)])),
      onBatch: createBatchProcessor(
        {
          name: 'follower',
          groupId,
          prepare: (messages) => this.codec.avro.prepare(messages.map((m) => m.value)),
          decode: (message) => this.decode(message),
          handle: async (records) => {
            for (const { value, message } of records) this.apply(value, message);
          },
        },
        { logger: this.logger, clock: this.clock },
      ),
    });
    this.logger.info({ champions: this.champions.size, runs: this.runs.size }, 'champion follower caught up');
  }

  private decode(message: InboundMessage): Followed {
    if (message.topic === this.codec.topicOf('ModelReady')) return { kind: 'ready', event: this.codec.decode('ModelReady', message.value) };
    if (message.topic === this.codec.topicOf('ModelEvaluated')) return { kind: 'evaluation', event: this.codec.decode('ModelEvaluated', message.value) };
    return { kind: 'run', event: this.codec.decode('TrainingRun', message.value) };
  }

  private progress(requestId: string, update: (progress: RequestProgress) => RequestProgress): void {
    this.requests.set(requestId, update(this.requests.get(requestId) ?? NO_PROGRESS));
  }

  private apply(value: Followed, message: InboundMessage): void {
    if (value.kind === 'ready') {
      this.applyChampion(value.event);
      this.progress(value.event.lineage.requestId, withPromotion);
    } else if (value.kind === 'evaluation') {
      const evaluation = value.event;
      this.progress(evaluation.requestId, (p) => withEvaluation(p, evaluation.decision, evaluation.evaluatedAt));
    } else {
      const run = value.event;
      const known = this.runs.get(run.runId);
      if (!known || run.sequence >= known.sequence) this.runs.set(run.runId, { modelId: run.modelId, state: run.state, sequence: run.sequence });
      this.progress(run.requestId, (p) => withRun(p, run.state, run.sequence));
    }
    this.processed.set(`${message.topic}:${message.partition}`, BigInt(message.offset) + 1n);
  }

  /**
   * A catch-up batch: the registry is retried with backoff until the catch-up
   * deadline; an undecodable message is skipped (the topic's own consumers
   * dead-letter it; a follower must not do it again at every start).
   */
  private async catchUp(messages: readonly InboundMessage[], deadline: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.codec.avro.prepare(messages.map((m) => m.value));
        break;
      } catch (error) {
        if (!isRetriable(error) || this.clock.now() >= deadline) throw error;
        await new Promise<void>((resolve) => this.clock.schedule(backoffDelay(attempt, { initialMs: 200, maxMs: 30_000 }), resolve));
      }
    }
    for (const message of messages) {
      let value: Followed;
      try {
        value = this.decode(message);
      } catch (error) {
        this.logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, code: errorCode(error), reason: errorMessage(error) }, 'follower skipped an undecodable message');
        continue;
      }
      this.apply(value, message);
    }
  }

  /** Where this follower has got to on a topic, per partition (after a catch-up that timed out). */
  private positions(topic: string): ReadonlyMap<number, string> {
    const positions = new Map<number, string>();
    for (const [key, next] of this.processed) {
      const at = key.lastIndexOf(':');
      if (key.slice(0, at) === topic) positions.set(Number(key.slice(at + 1)), next.toString());
    }
    return positions;
  }

  private applyChampion(event: ModelReady): void {
    const current = this.champions.get(event.modelId);
    // A deposed evaluator leader's late promotion carries a lower leader epoch
    // than what the current leader published (docs/leader-election.md): ignore
    // it, whatever its promotedAt (its clock ran on). Events from before leader
    // election have no epoch and count as -1, below any elected leader's.
    const epoch = event.leaderEpoch ?? -1;
    if (current && epoch < (current.event.leaderEpoch ?? -1)) {
      this.logger.warn({ modelId: event.modelId, version: event.version, leaderEpoch: event.leaderEpoch, championEpoch: current.event.leaderEpoch }, "ignoring a deposed evaluator's late promotion (lower leader epoch)");
      return;
    }
    // A rollback re-publishes an older version as the new champion: the newest event wins, not the highest version.
    if (current && epoch === (current.event.leaderEpoch ?? -1) && current.event.promotedAt > event.promotedAt) return;
    this.champions.set(event.modelId, {
      version: event.version,
      promotedAt: event.promotedAt,
      profile: event.profile,
      dataWindowEnd: event.lineage.dataWindow?.endTime ?? null,
      metrics: event.metrics,
      event,
    });
    for (const listener of this.listeners) listener(event.modelId, event);
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}
