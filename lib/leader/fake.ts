import { ErrorCodes, RoundhouseError } from '../errors';
import type { LeaderEvent, LeaderStatus, Leadership, LeaseApi, LeaseRecord, LeaseWrite } from './types';

/**
 * Leases in memory, answering like the API server: one resourceVersion counter
 * for the store, bumped by every write; create of an existing Lease and update
 * naming another resourceVersion are CONFLICT (409), update of an absent one
 * NOT_FOUND. Every candidate gets its own LeaseApi (`api(name, who)`), so a
 * test can cut one off (`partition`) or make its calls hang (`hang`), and every
 * write is recorded with who made it.
 */
export class MemoryLeaseStore {
  private readonly leases = new Map<string, LeaseRecord>();
  private version = 0;
  readonly writes: { readonly name: string; readonly by: string; readonly op: 'create' | 'update'; readonly lease: LeaseRecord }[] = [];
  private readonly failures = new Map<string, unknown[]>();
  private readonly partitioned = new Set<string>();
  private readonly hanging = new Map<string, (() => void)[]>();

  api(name: string, who: string, namespace = 'default'): LeaseApi {
    const call = async <T>(operation: string, run: () => T): Promise<T> => {
      await this.gate(who);
      const failure = this.failures.get(who)?.shift();
      if (failure !== undefined) throw failure;
      if (this.partitioned.has(who)) throw new RoundhouseError(ErrorCodes.KUBERNETES_UNAVAILABLE, `${operation} lease ${namespace}/${name}: connect ECONNREFUSED (partitioned)`);
      return run();
    };
    return {
      description: `${namespace}/${name}`,
      get: () => call('get', () => this.leases.get(name) ?? null),
      create: (lease) =>
        call('create', () => {
          if (this.leases.has(name)) throw conflict(`leases.coordination.k8s.io "${name}" already exists`);
          return this.store(name, who, 'create', lease);
        }),
      update: (lease, resourceVersion) =>
        call('update', () => {
          const current = this.leases.get(name);
          if (!current) throw new RoundhouseError(ErrorCodes.NOT_FOUND, `leases.coordination.k8s.io "${name}" not found`);
          if (current.resourceVersion !== resourceVersion) {
            throw conflict(`Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`);
          }
          return this.store(name, who, 'update', lease);
        }),
    };
  }

  get(name: string): LeaseRecord | undefined {
    return this.leases.get(name);
  }

  /** Write as an outsider would (kubectl edit): bumps the resourceVersion. */
  put(name: string, lease: LeaseWrite): LeaseRecord {
    return this.store(name, 'test', 'update', lease);
  }

  delete(name: string): void {
    this.leases.delete(name);
  }

  /** `who`'s next call fails with `error` (after any earlier injected ones). */
  failNext(who: string, error: unknown = new RoundhouseError(ErrorCodes.KUBERNETES_UNAVAILABLE, 'injected: HTTP 503')): void {
    this.failures.set(who, [...(this.failures.get(who) ?? []), error]);
  }

  /** `who`'s calls fail (connection refused) until partition(who, false). */
  partition(who: string, cut = true): void {
    if (cut) this.partitioned.add(who);
    else this.partitioned.delete(who);
  }

  /** `who`'s calls hang until the returned function is called (a stalled API server or a paused process). */
  hang(who: string): () => void {
    this.hanging.set(who, this.hanging.get(who) ?? []);
    return () => {
      const waiting = this.hanging.get(who) ?? [];
      this.hanging.delete(who);
      for (const resume of waiting) resume();
    };
  }

  private async gate(who: string): Promise<void> {
    const waiting = this.hanging.get(who);
    if (waiting) await new Promise<void>((resolve) => waiting.push(resolve));
  }

  private store(name: string, by: string, op: 'create' | 'update', lease: LeaseWrite): LeaseRecord {
    const stored: LeaseRecord = Object.freeze({ ...lease, labels: Object.freeze({ ...lease.labels }), annotations: Object.freeze({ ...lease.annotations }), resourceVersion: String(++this.version) });
    this.leases.set(name, stored);
    this.writes.push({ name, by, op, lease: stored });
    return stored;
  }
}

function conflict(message: string): RoundhouseError {
  return new RoundhouseError(ErrorCodes.CONFLICT, message, { context: { status: 409 } });
}

/**
 * A Leadership a test sets by hand (the services' tests: a leader, a standby
 * that knows the leader's URL, a lost leader), with the events it would emit.
 */
export class FixedLeadership implements Leadership {
  private current: LeaderStatus;
  private readonly listeners = new Set<(event: LeaderEvent) => void>();

  constructor(status: Partial<LeaderStatus> = {}) {
    this.current = { role: 'candidate', identity: 'test_1', epoch: null, observedHolder: null, observedEpoch: null, leaderUrl: null, lastContactAt: 0, reason: null, ...status };
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.current = { ...this.current, role: 'stopped', epoch: null };
  }
  status(): LeaderStatus {
    return this.current;
  }
  subscribe(listener: (event: LeaderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lead with `epoch` (emits acquired). */
  acquire(epoch: number): void {
    this.current = { ...this.current, role: 'leader', epoch, observedHolder: this.current.identity, observedEpoch: epoch, leaderUrl: null };
    for (const listener of this.listeners) listener({ type: 'acquired', epoch });
  }

  /** Stop leading (emits lost). */
  lose(reason: string): void {
    const epoch = this.current.epoch ?? 0;
    this.current = { ...this.current, role: 'lost', epoch: null, reason };
    for (const listener of this.listeners) listener({ type: 'lost', epoch, reason });
  }

  set(status: Partial<LeaderStatus>): void {
    this.current = { ...this.current, ...status };
  }
}
