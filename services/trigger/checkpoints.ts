import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { EventBus, OutboundMessage } from '../../lib/bus';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import type { Logger } from '../../lib/log';

/**
 * Trigger checkpoints on the compacted roundhouse.trigger-state topic: one record
 * per key (`ingest/<topic>/<partition>` for stage 1, `judge/<model>` for stage 2),
 * gzipped JSON, always on partition 0 (one partition keeps "read everything up to
 * now" simple). They are written in the same transaction as the consumed offsets
 * and the decisions, so a checkpoint always matches its offsets.
 *
 * Loading reads the topic up to a sentinel we publish first: everything committed
 * before the sentinel is seen. A transaction still open at that point (a crashed
 * member's) holds read_committed readers back until it is aborted, by its
 * member's restart (same transactional id) or by the transaction timeout.
 */
export const SENTINEL_PREFIX = '__sentinel__/';

export class CheckpointStore {
  constructor(
    private readonly bus: EventBus,
    private readonly topic: string,
    private readonly logger: Logger,
  ) {}

  message(key: string, state: unknown): OutboundMessage {
    return { topic: this.topic, key, value: gzipSync(Buffer.from(JSON.stringify(state))), partition: 0 };
  }

  async load(timeoutMs = 120_000): Promise<Map<string, unknown>> {
    const sentinel = `${SENTINEL_PREFIX}${randomUUID()}`;
    await this.bus.publish([{ topic: this.topic, key: sentinel, value: null, partition: 0 }]);
    const states = new Map<string, unknown>();
    let resolveSeen!: () => void;
    const seen = new Promise<void>((resolve) => (resolveSeen = resolve));
    const started = Date.now();
    const subscription = await this.bus.subscribe({
      groupId: `roundhouse-trigger-checkpoint-reader-${randomUUID()}`,
      topics: [this.topic],
      fromBeginning: true,
      onBatch: async (batch, control) => {
        for (const message of batch.messages) {
          const key = message.key?.toString() ?? '';
          if (key === sentinel) {
            resolveSeen();
            return;
          }
          if (key.startsWith(SENTINEL_PREFIX)) continue;
          if (message.value === null) {
            states.delete(key);
            continue;
          }
          try {
            states.set(key, JSON.parse(gunzipSync(message.value).toString()));
          } catch (error) {
            // A corrupt checkpoint is not fatal: the component restarts from scratch for that key.
            this.logger.error({ err: error, key, offset: message.offset }, 'unreadable checkpoint ignored');
            states.delete(key);
          }
        }
        // Move on: a subscription fetches from its committed offset, so without
        // this the reader would see its first batch again and again (a state topic
        // larger than one fetch never reached the sentinel).
        if (control.isActive()) await control.commit((BigInt(batch.lastOffset) + 1n).toString(), []);
      },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        seen,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new RoundhouseError(ErrorCodes.TIMEOUT, `checkpoints of ${this.topic} not loaded within ${timeoutMs} ms (an open transaction may be holding the topic back)`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      await subscription.stop();
    }
    this.logger.info({ checkpoints: states.size, ms: Date.now() - started }, 'loaded trigger checkpoints');
    return states;
  }
}
