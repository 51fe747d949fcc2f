import { randomUUID } from 'node:crypto';
import type { BatchControl, EventBus, InboundMessage, PartitionBatch, Subscription } from '../../lib/bus';
import { readToEnd } from '../../lib/bus';
import { Clock, backoffDelay, systemClock } from '../../lib/clock';
import type { PlatformCodec } from '../../lib/codec';
import { ErrorCodes, RoundhouseError, errorCode, errorMessage, isRetriable } from '../../lib/errors';
import type { EventName } from '../../lib/events';
import type { Logger } from '../../lib/log';
import { decodeCommand } from './commands';
import { COMMAND_ID_HEADER, EvaluatorState } from './state';

const FOLLOWED: readonly EventName[] = ['ModelReady', 'ModelEvaluated', 'RetrainRequested', 'TrainingCompleted'];

/** Which event (or the JSON commands) a followed topic carries. */
type Followed = EventName | 'command';

/**
 * Follows the topics EvaluatorState is built from (and the operator commands,
 * for force decisions waiting for their run's result). Start-up reads every
 * partition from its log start up to the end it had when we started, with lib/bus
 * readToEnd (no consumer group), so the first evaluation already knows every
 * earlier one (idempotency) and every version (numbering, rollback); then it
 * follows live from those ends, with a group of its own per start (like the
 * trigger's ChampionFollower). A message that cannot be decoded is skipped: the
 * consumers that own these topics dead-letter it; a follower must not
 * dead-letter it again at every start.
 */
export class StateFollower {
  private subscription: Subscription | undefined;
  private readonly processed = new Map<string, bigint>();
  private readonly attempts = new Map<string, number>();
  private stopping = false;

  constructor(
    private readonly bus: EventBus,
    private readonly codec: PlatformCodec,
    private readonly state: EvaluatorState,
    private readonly logger: Logger,
    private readonly groupPrefix: string,
    private readonly commandsTopic: string,
    private readonly onSkipped: (topic: string, code: string) => void = () => undefined,
    private readonly clock: Clock = systemClock,
  ) {}

  async start(catchUpTimeoutMs: number): Promise<void> {
    const names = new Map<string, Followed>([...FOLLOWED.map((name) => [this.codec.topicOf(name), name] as const), [this.commandsTopic, 'command']]);
    // 1. Catch up: every topic from its log start to its end as of now. Nothing
    // is consumed before this completes, however long it takes: an evaluator
    // that started on incomplete state numbered its next promotion from it (v1
    // twice, and the compacted model-ready topic showed the champion going back
    // to v1). Each catchUpTimeoutMs without completing logs where it has got to
    // and reads on from there (a new end snapshot: it only moves forward).
    const reached = new Map<string, ReadonlyMap<number, string>>();
    await Promise.all(
      [...names].map(async ([topic, name]) => {
        for (let round = 0; ; round++) {
          if (this.stopping) throw new RoundhouseError(ErrorCodes.TIMEOUT, `the evaluator stopped while catching up with ${topic}`, { context: { topic } });
          const deadline = this.clock.now() + catchUpTimeoutMs;
          try {
            const from = round === 0 ? undefined : this.positions(topic);
            reached.set(topic, await readToEnd(this.bus, topic, { clock: this.clock, timeoutMs: catchUpTimeoutMs, ...(from ? { from } : {}), onMessages: (messages) => this.catchUp(name, messages, deadline) }));
            return;
          } catch (error) {
            if (errorCode(error) !== ErrorCodes.TIMEOUT) throw error;
            this.logger.warn(
              { topic, round: round + 1, positions: Object.fromEntries(this.positions(topic)), reason: errorMessage(error) },
              'evaluator state has not caught up yet; results and commands wait until it has (reading on)',
            );
          }
        }
      }),
    );
    // 2. Follow live from there: from the ends reached, or where a timed-out read got to.
    const groupId = `${this.groupPrefix}-state-${randomUUID()}`;
    this.subscription = await this.bus.subscribe({
      groupId,
      topics: [...names.keys()],
      fromBeginning: true,
      initialOffsets: new Map([...names.keys()].map((topic) => [topic, reached.get(topic)!])),
      onBatch: (batch, control) => this.onBatch(names, batch, control),
    });
    this.logger.info({ champions: this.state.championVersions().size }, 'evaluator state caught up');
  }

  async stop(): Promise<void> {
    this.stopping = true;
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

  /** A catch-up batch: the registry is retried with backoff, on the injected clock, until the catch-up deadline. */
  private async catchUp(name: Followed, messages: readonly InboundMessage[], deadline: number): Promise<void> {
    for (let attempt = 0; name !== 'command'; attempt++) {
      try {
        await this.codec.avro.prepare(messages.map((m) => m.value));
        break;
      } catch (error) {
        if (!isRetriable(error) || this.clock.now() >= deadline) throw error;
        await new Promise<void>((resolve) => this.clock.schedule(backoffDelay(attempt, { initialMs: 200, maxMs: 30_000 }), resolve));
      }
    }
    for (const message of messages) {
      this.apply(name, message);
      this.processed.set(`${message.topic}:${message.partition}`, BigInt(message.offset) + 1n);
    }
  }

  /** Where the catch-up has got to on a topic, per partition (after it timed out). */
  private positions(topic: string): ReadonlyMap<number, string> {
    const positions = new Map<number, string>();
    for (const [key, next] of this.processed) {
      const at = key.lastIndexOf(':');
      if (key.slice(0, at) === topic) positions.set(Number(key.slice(at + 1)), next.toString());
    }
    return positions;
  }

  private apply(name: Followed, message: InboundMessage): void {
    const commandId = message.headers[COMMAND_ID_HEADER] ?? null;
    try {
      switch (name) {
        case 'ModelReady': {
          const ready = this.codec.decode('ModelReady', message.value);
          if (this.state.applyReady(ready, commandId) === 'stale') {
            this.logger.warn({ modelId: ready.modelId, version: ready.version, leaderEpoch: ready.leaderEpoch, partition: message.partition, offset: message.offset }, "ignoring a deposed evaluator's late promotion (lower leader epoch)");
          }
          break;
        }
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
