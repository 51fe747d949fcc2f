import { SINGLE_PROCESS_EPOCH, type LeaderEvent, type LeaderStatus, type Leadership } from './types';

/**
 * The single-process mode (no cluster: local runs, the embedded demo, tests):
 * the only process there is leads from start() until stop(), with epoch 0,
 * which no Lease-elected leader ever has.
 */
export class SingleProcessLeadership implements Leadership {
  private role: LeaderStatus['role'] = 'candidate';
  private readonly listeners = new Set<(event: LeaderEvent) => void>();

  constructor(private readonly identity = 'single-process') {}

  async start(): Promise<void> {
    if (this.role !== 'candidate') return;
    this.role = 'leader';
    for (const listener of this.listeners) listener({ type: 'acquired', epoch: SINGLE_PROCESS_EPOCH });
  }

  async stop(): Promise<void> {
    this.role = 'stopped';
  }

  status(): LeaderStatus {
    const leading = this.role === 'leader';
    return {
      role: this.role,
      identity: this.identity,
      epoch: leading ? SINGLE_PROCESS_EPOCH : null,
      observedHolder: leading ? this.identity : null,
      observedEpoch: leading ? SINGLE_PROCESS_EPOCH : null,
      leaderUrl: null,
      lastContactAt: null,
      reason: null,
    };
  }

  subscribe(listener: (event: LeaderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
