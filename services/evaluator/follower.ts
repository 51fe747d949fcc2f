import { randomUUID } from 'node:crypto';
import type { BatchControl, EventBus, InboundMessage, PartitionBatch, Subscription } from '../../lib/bus';
import { backoffDelay } from '../../lib/clock';
import type { PlatformCodec } from '../../lib/codec';
import { errorCode, errorMessage, isRetriable } from '../../lib/errors';
import type { EventName } from '../../lib/events';
import type { Logger } from '../../lib/log';
import { decodeCommand } from './commands';
import { COMMAND_ID_HEADER, EvaluatorState } from './state';

const FOLLOWED: readonly EventName[] = ['ModelReady', 'ModelEvaluated', 'RetrainRequested', 'TrainingCompleted'];

/** Which event (or the JSON commands) a followed topic carries. */
type Followed = EventName | 'command';

/**
 * Follows the topics EvaluatorState is built from (and the operator commands,
 * for force decisions waiting for their run's result), from the beginning, with a
 * group of its own per start (like the trigger's ChampionFollower). Start-up
 * waits until every partition is read up to the end it had when we started, so
 * the first evaluation already knows every earlier one (idempotency) and every
 * version (numbering, rollback). A message that cannot be decoded is skipped:
 * the consumers that own these topics dead-letter it; a follower must not
 * dead-letter it again at every start.
 */
export class StateFollower {
  private subscription: Subscription | undefined;
  private readonly processed = new Map<string, bigint>();
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly bus: EventBus,
    private readonly codec: PlatformCodec,
    private readonly state: EvaluatorState,
    private readonly logger: Logger,
    private readonly groupPrefix: string,
    private readonly commandsTopic: string,
    private readonly onSkipped: (topic: string, code: string) => void = () => undefined,
  ) {}

  async start(catchUpTimeoutMs: number): Promise<void> {
    const names = new Map<string, Followed>([...FOLLOWED.map((name) => [this.codec.topicOf(name), name] as const), [this.commandsTopic, 'command']]);
    const ends = new Map<string, bigint>();
    for (const topic of names.keys()) {
      for (const [partition, offset] of await this.bus.endOffsets(topic)) ends.set(`${topic}:${partition}`, BigInt(offset));
    }
    const groupId = `${this.groupPrefix}-state-${randomUUID()}`;
    this.subscription = await this.bus.subscribe({
      groupId,
      topics: [...names.keys()],
      fromBeginning: true,
      onBatch: (batch, control) => this.onBatch(names, batch, control),
    });
    const deadline = Date.now() + catchUpTimeoutMs;
    while (![...ends].every(([key, end]) => (this.processed.get(key) ?? 0n) >= end)) {
      if (Date.now() > deadline) {
        this.logger.warn({ groupId }, 'evaluator state did not catch up in time; starting with what it has');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.logger.info({ champions: this.state.championVersions().size }, 'evaluator state caught up');
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  private async onBatch(names: ReadonlyMap<string, Followed>, batch: PartitionBatch, control: BatchControl): Promise<void> {
    const key = `${batch.topic}:${batch.partition}`;
    const name = names.get(batch.topic);
    try {
      if (name !== 'command') await this.codec.avro.prepare(batch.messages.map((m) => m.value));
    } catch (error) {
      if (!isRetriable(error)) throw error;
      const attempt = this.attempts.get(key) ?? 0;
      this.attempts.set(key, attempt + 1);
      control.backoff(backoffDelay(attempt, { initialMs: 200, maxMs: 30_000 }));
      return;
    }
    this.attempts.delete(key);
    for (const message of batch.messages) if (name) this.apply(name, message);
    if (!control.isActive()) return;
    // lastOffset counts trailing transaction markers, so a caught-up partition reaches its end offset.
    const next = BigInt(batch.lastOffset) + 1n;
    await control.commit(next.toString(), []);
    this.processed.set(key, next);
  }

  private apply(name: Followed, message: InboundMessage): void {
    const commandId = message.headers[COMMAND_ID_HEADER] ?? null;
    try {
      switch (name) {
        case 'ModelReady':
          this.state.applyReady(this.codec.decode('ModelReady', message.value), commandId);
          break;
        case 'ModelEvaluated':
          this.state.applyEvaluation(this.codec.decode('ModelEvaluated', message.value), commandId);
          break;
        case 'RetrainRequested':
          this.state.applyRequest(this.codec.decode('RetrainRequested', message.value));
          break;
        case 'TrainingCompleted':
          this.state.applyResult(this.codec.decode('TrainingCompleted', message.value));
          break;
        case 'command':
          this.state.applyCommand(decodeCommand(message.value));
          break;
        default:
          break;
      }
    } catch (error) {
      this.onSkipped(message.topic, errorCode(error));
      this.logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, code: errorCode(error), reason: errorMessage(error) }, 'skipped an undecodable message');
    }
  }
}
