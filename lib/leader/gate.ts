import { errorMessage } from '../errors';
import type { Logger } from '../log';
import type { Readiness } from '../metrics';
import type { Leadership } from './types';

export interface WhileLeaderOptions {
  /** Start consuming and reconciling, as the leader of `epoch`. Called once at most. */
  readonly start: (epoch: number) => Promise<void>;
  /**
   * Leadership ended (or start failed): main.ts stops the service and exits
   * non-zero, so Kubernetes restarts the container clean, as a candidate.
   */
  readonly exit: (reason: string, error?: unknown) => void;
  readonly logger: Logger;
  /**
   * The Readiness from leaderReadiness(): a check `leader:started`, false on the
   * leader until start() resolved (its own checks may not be registered yet
   * when it acquires), ready on a standby.
   */
  readonly readiness?: Readiness;
}

/**
 * Consumers and reconcilers run only while this process leads: started on
 * acquire, never restarted in the same process. Stopping in place and
 * campaigning again would leave half-stopped consumers, caches and timers of
 * the old term alive beside the new one; a restart is clean by construction.
 * Returns an unsubscribe function.
 */
export function whileLeader(leadership: Leadership, options: WhileLeaderOptions): () => void {
  let started = false;
  const flag = options.readiness?.flag('leader:started');
  return leadership.subscribe((event) => {
    if (event.type === 'acquired' && !started) {
      started = true;
      options.logger.info({ epoch: event.epoch }, 'leading: starting to consume');
      flag?.set(false, 'starting');
      options.start(event.epoch).then(
        () => flag?.set(true),
        (error: unknown) => options.exit(`start as leader failed: ${errorMessage(error)}`, error),
      );
    } else if (event.type === 'lost') {
      options.exit(`lost the lease (epoch ${event.epoch}): ${event.reason}`);
    }
  });
}
