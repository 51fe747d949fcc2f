import { randomUUID } from 'node:crypto';
import type { EventBus, Subscription } from '../../lib/bus';
import { createBatchProcessor } from '../../lib/bus';
import type { PlatformCodec } from '../../lib/codec';
import type { Logger } from '../../lib/log';
import type { ModelReady, RunState } from '../../lib/events';
import type { Champion, JudgeContext } from './core/judge';

const IN_FLIGHT: ReadonlySet<RunState> = new Set<RunState>(['QUEUED', 'SUBMITTED', 'RUNNING']);

/**
 * Every trigger instance follows the whole of roundhouse.model-ready (the
 * champion and its reference profile, per model) and roundhouse.training-runs
 * (which models have a run in flight), each with a group of its own, so that
 * whichever instance judges a model knows both. This is soft state: rebuilt from
 * the topics at start-up, never checkpointed.
 */
export class ChampionFollower implements JudgeContext {
  private readonly champions = new Map<string, Champion & { readonly event: ModelReady }>();
  private readonly runs = new Map<string, { modelId: string; state: RunState; sequence: number }>();
  private readonly processed = new Map<string, bigint>();
  private subscription: Subscription | undefined;
  private listeners: ((modelId: string, champion: ModelReady) => void)[] = [];

  constructor(
    private readonly bus: EventBus,
    private readonly codec: PlatformCodec,
    private readonly logger: Logger,
    private readonly groupPrefix: string,
  ) {}

  champion(modelId: string): Champion | undefined {
    return this.champions.get(modelId);
  }

  inFlight(modelId: string): boolean {
    for (const run of this.runs.values()) if (run.modelId === modelId && IN_FLIGHT.has(run.state)) return true;
    return false;
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
    const ends = new Map<string, bigint>();
    for (const topic of [modelReady, trainingRuns]) {
      for (const [partition, offset] of await this.bus.endOffsets(topic)) ends.set(`${topic}:${partition}`, BigInt(offset));
    }
    const groupId = `${this.groupPrefix}-follower-${randomUUID()}`;
    this.subscription = await this.bus.subscribe({
      groupId,
      topics: [modelReady, trainingRuns],
      fromBeginning: true,
      onBatch: createBatchProcessor(
        {
          name: 'follower',
          groupId,
          prepare: (messages) => this.codec.avro.prepare(messages.map((m) => m.value)),
          decode: (message) =>
            message.topic === modelReady
              ? ({ kind: 'ready', event: this.codec.decode('ModelReady', message.value) } as const)
              : ({ kind: 'run', event: this.codec.decode('TrainingRun', message.value) } as const),
          handle: async (records) => {
            for (const { value, message } of records) {
              if (value.kind === 'ready') this.applyChampion(value.event);
              else {
                const run = value.event;
                const known = this.runs.get(run.runId);
                if (!known || run.sequence >= known.sequence) this.runs.set(run.runId, { modelId: run.modelId, state: run.state, sequence: run.sequence });
              }
              this.processed.set(`${message.topic}:${message.partition}`, BigInt(message.offset) + 1n);
            }
          },
        },
        { logger: this.logger },
      ),
    });
    const deadline = Date.now() + catchUpTimeoutMs;
    while (![...ends].every(([key, end]) => end === 0n || (this.processed.get(key) ?? 0n) >= end)) {
      if (Date.now() > deadline) {
        this.logger.warn({ groupId }, 'champion follower did not catch up in time; judging with what it has');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.logger.info({ champions: this.champions.size, runs: this.runs.size }, 'champion follower caught up');
  }

  private applyChampion(event: ModelReady): void {
    const current = this.champions.get(event.modelId);
    // A rollback re-publishes an older version as the new champion: the newest event wins, not the highest version.
    if (current && current.event.promotedAt > event.promotedAt) return;
    this.champions.set(event.modelId, {
      version: event.version,
      promotedAt: event.promotedAt,
      profile: event.profile,
      dataWindowEnd: event.lineage.dataWindow?.endTime ?? null,
      event,
    });
    for (const listener of this.listeners) listener(event.modelId, event);
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}
