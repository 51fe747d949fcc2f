import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { EventBus, InboundMessage, OutboundMessage } from '../../lib/bus';
import { readToEnd } from '../../lib/bus';
import { Clock, systemClock } from '../../lib/clock';
import { ErrorCodes, RoundhouseError, errorCode } from '../../lib/errors';
import type { Logger } from '../../lib/log';

/**
 * Trigger checkpoints on the compacted roundhouse.trigger-state topic: one record
 * per key (`ingest/<topic>/<partition>` for stage 1, `judge/<model>` for stage 2),
 * gzipped JSON, always on partition 0 (one partition keeps "read everything up to
 * now" simple). They are written in the same transaction as the consumed offsets
 * and the decisions, so a checkpoint always matches its offsets.
 *
 * Loading reads the topic up to a sentinel we publish first, with lib/bus
 * readToEnd (no consumer group: issue 11, a throwaway group per rebalance).
 * Why a sentinel, when readToEnd stops at the last stable offset (LSO) anyway?
 * The LSO is not the same guarantee, it is the opposite one: it stops *before*
 * the first record of the oldest open transaction, so it also leaves out every
 * transaction committed after that record. A crashed member's open transaction
 * (until its restart fences it or the transaction timeout aborts it) would then
 * hide a checkpoint another member committed later, while that member's
 * committed offsets are already visible: we would resume from its offsets with
 * an older checkpoint. The same holds for a commit whose markers have reached
 * __consumer_offsets but not yet this topic. The sentinel is published after
 * everything written before the load; reading until it means waiting until every
 * such transaction is decided, and then seeing its outcome.
 */
export const SENTINEL_PREFIX = '__sentinel__/';

/**
 * Topic settings for roundhouse.trigger-state (TopicSpec.config, with
 * compacted: true). The defaults compact only closed segments, which roll after
 * 7 days or 1 GiB, and only once half the log is dirty: every load read every
 * checkpoint ever written (issue 11: ~10× the live size after 40k events).
 */
export const STATE_TOPIC_CONFIG: Readonly<Record<string, string>> = Object.freeze({
  // Keep the latest record per key; a tombstone deletes the key.
  'cleanup.policy': 'compact',
  // Compact once 10% of the log is superseded (default 50%: up to 2× the live size before any cleaning).
  'min.cleanable.dirty.ratio': '0.1',
  // Roll the active segment, which is never compacted, every 10 minutes (default 7 days).
  'segment.ms': '600000',
  // Keep tombstones (deleted pending windows, load sentinels) and transaction
  // markers 1 hour after compaction (default 1 day): ample for a load (2 min at
  // most) to see a delete it has begun reading before.
  'delete.retention.ms': '3600000',
});

/** How often a load looks again while an open transaction holds the sentinel back. */
const OPEN_TRANSACTION_POLL_MS = 200;

export class CheckpointStore {
  constructor(
    private readonly bus: EventBus,
    private readonly topic: string,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  message(key: string, state: unknown): OutboundMessage {
    return { topic: this.topic, key, value: gzipSync(Buffer.from(JSON.stringify(state))), partition: 0 };
  }

  async load(timeoutMs = 120_000): Promise<Map<string, unknown>> {
    const sentinel = `${SENTINEL_PREFIX}${randomUUID()}`;
    await this.bus.publish([{ topic: this.topic, key: sentinel, value: null, partition: 0 }]);
    const states = new Map<string, unknown>();
    let seen = false;
    const apply = (messages: readonly InboundMessage[]): void => {
      for (const message of messages) {
        if (seen) return;
        const key = message.key?.toString() ?? '';
        if (key === sentinel) seen = true;
        else if (key.startsWith(SENTINEL_PREFIX)) continue;
        else if (message.value === null) states.delete(key);
        else this.decode(states, key, message);
      }
    };
    const started = this.clock.now();
    const deadline = started + timeoutMs;
    // Each round reads on from where the last stopped; a round that finds the end
    // unmoved (an open transaction before the sentinel) costs two offset lookups.
    let from: ReadonlyMap<number, string> | undefined;
    const timedOut = (cause?: unknown): RoundhouseError =>
      new RoundhouseError(ErrorCodes.TIMEOUT, `checkpoints of ${this.topic} not loaded within ${timeoutMs} ms (an open transaction may be holding the topic back)`, {
        context: { topic: this.topic, timeoutMs },
        cause,
      });
    for (;;) {
      const left = deadline - this.clock.now();
      if (left <= 0) throw timedOut();
      try {
        from = await readToEnd(this.bus, this.topic, { partitions: [0], clock: this.clock, timeoutMs: left, onMessages: apply, ...(from ? { from } : {}) });
      } catch (error) {
        throw errorCode(error) === ErrorCodes.TIMEOUT ? timedOut(error) : error;
      }
      if (seen) break;
      await new Promise<void>((resolve) => this.clock.schedule(Math.min(OPEN_TRANSACTION_POLL_MS, left), resolve));
    }
    this.logger.info({ checkpoints: states.size, ms: this.clock.now() - started }, 'loaded trigger checkpoints');
    return states;
  }

  private decode(states: Map<string, unknown>, key: string, message: InboundMessage): void {
    try {
      states.set(key, JSON.parse(gunzipSync(message.value!).toString()));
    } catch (error) {
      // A corrupt checkpoint is not fatal: the component restarts from scratch for that key.
      this.logger.error({ err: error, key, offset: message.offset }, 'unreadable checkpoint ignored');
      states.delete(key);
    }
  }
}
