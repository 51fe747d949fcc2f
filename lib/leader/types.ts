/**
 * Leader election in our words. A service runs its consumers and reconcilers
 * only while it leads; the epoch it leads with (the Lease's leaseTransitions)
 * only ever grows, so what a leader writes can carry it and a deposed leader's
 * late writes can be told apart (issue 14).
 */

/** A coordination.k8s.io/v1 Lease as the elector reads it (decoded at the edge, client-node.ts). */
export interface LeaseRecord {
  /** spec.holderIdentity; null when absent or "" (released). */
  readonly holder: string | null;
  /** spec.leaseDurationSeconds, in ms: how long others wait after they last saw it change. */
  readonly leaseDurationMs: number;
  /** spec.acquireTime / spec.renewTime as the holder's clock wrote them (epoch ms); informative only. */
  readonly acquireTime: number | null;
  readonly renewTime: number | null;
  /** spec.leaseTransitions: how many times the holder changed. The fencing epoch. */
  readonly transitions: number;
  /** metadata.resourceVersion: what an update must name (optimistic concurrency). */
  readonly resourceVersion: string;
  /** metadata.labels and metadata.annotations, carried over on every write (a PUT replaces the whole object). */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** What a create or an update writes. */
export type LeaseWrite = Omit<LeaseRecord, 'resourceVersion'>;

/**
 * The three calls on one Lease (one name in one namespace). Errors are
 * RoundhouseErrors: CONFLICT (create of an existing Lease, update naming a stale
 * resourceVersion), NOT_FOUND (update of a deleted Lease), KUBERNETES_UNAVAILABLE
 * (network, 5xx, 401/403: RBAC), TIMEOUT.
 */
export interface LeaseApi {
  /** "namespace/name", for logs and readiness details. */
  readonly description: string;
  /** null when there is no such Lease. */
  get(): Promise<LeaseRecord | null>;
  create(lease: LeaseWrite): Promise<LeaseRecord>;
  /** Replaces the Lease if its resourceVersion is still `resourceVersion`. */
  update(lease: LeaseWrite, resourceVersion: string): Promise<LeaseRecord>;
}

export type LeaderRole = 'candidate' | 'leader' | 'lost' | 'stopped';

export interface LeaderStatus {
  readonly role: LeaderRole;
  /** This candidate's holderIdentity: instance id plus a per-process suffix. */
  readonly identity: string;
  /** While leader: the fencing epoch this process leads with. Otherwise null. */
  readonly epoch: number | null;
  /** The holder and epoch last seen in the Lease (this process while it leads). */
  readonly observedHolder: string | null;
  readonly observedEpoch: number | null;
  /** The leader's advertised URL, if it gave one (LEADER_URL_ANNOTATION), e.g. for forwarding API calls. */
  readonly leaderUrl: string | null;
  /** When the Lease was last read or written successfully (local clock); null: never. */
  readonly lastContactAt: number | null;
  /** Why the role is `lost`. */
  readonly reason: string | null;
}

export type LeaderEvent =
  | { readonly type: 'acquired'; readonly epoch: number }
  | { readonly type: 'lost'; readonly epoch: number; readonly reason: string }
  | { readonly type: 'observed'; readonly holder: string | null; readonly epoch: number | null };

/**
 * What a service sees: start campaigning, learn when it leads and when it lost,
 * stop (and release the Lease if held, so the standby takes over at once).
 * Losing is final: the service stops and exits so the pod restarts clean, as a
 * candidate (a half-stopped leader is the thing fencing must never meet).
 */
export interface Leadership {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): LeaderStatus;
  /** Events in order; returns an unsubscribe function. */
  subscribe(listener: (event: LeaderEvent) => void): () => void;
}

/** The annotation in which a leader advertises where its API answers (LeaseElectorOptions.advertiseUrl). */
export const LEADER_URL_ANNOTATION = 'roundhouse.dev/leader-url';

/** Epoch of the single-process mode (no cluster): Lease-elected epochs start at 1, so 0 never fences anything. */
export const SINGLE_PROCESS_EPOCH = 0;
