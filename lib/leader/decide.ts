import { LEADER_URL_ANNOTATION, type LeaseRecord, type LeaseWrite } from './types';

/**
 * One step of the election, decided from what was read: a pure function of the
 * Lease, who we are and two times on our own clock (STYLE.md item 1).
 *
 * Expiry is judged the way client-go's leaderelection does it: not from the
 * holder's renewTime (another machine's clock), but from when *we* saw the
 * Lease last change. A holder that renews keeps changing resourceVersion; one
 * that stopped leaves it still, and after leaseDuration of stillness on our
 * clock the Lease is free. Only clock *rates* need to agree, not clocks.
 *
 * Epochs: a new holder writes leaseTransitions + 1; a renewal keeps it. A Lease
 * created by us starts at 1, so epoch 0 stays the single-process mode's.
 */
export interface DecideInput {
  readonly identity: string;
  /** The Lease as just read; null when it does not exist. */
  readonly lease: LeaseRecord | null;
  /** When we first saw this resourceVersion (local clock). */
  readonly observedAt: number;
  readonly now: number;
  /** Our lease duration, written into the Lease for others to wait. */
  readonly leaseDurationMs: number;
  /** Our API's URL, advertised in the Lease while we hold it (null: none). */
  readonly advertiseUrl: string | null;
}

export type Step =
  | { readonly kind: 'create'; readonly write: LeaseWrite }
  /** `takeover`: another holder's (or nobody's) Lease becomes ours, with a new epoch. */
  | { readonly kind: 'update'; readonly write: LeaseWrite; readonly resourceVersion: string; readonly takeover: boolean }
  /** Held by someone else and not expired on our clock: look again by `until`. */
  | { readonly kind: 'wait'; readonly holder: string; readonly until: number };

export function decide(input: DecideInput): Step {
  const { lease, identity, now } = input;
  if (lease === null) {
    return { kind: 'create', write: { ...ours(input, now, {}), labels: {}, transitions: 1 } };
  }
  if (lease.holder === identity) {
    return { kind: 'update', resourceVersion: lease.resourceVersion, takeover: false, write: { ...ours(input, lease.acquireTime ?? now, lease.annotations), labels: lease.labels, transitions: lease.transitions } };
  }
  const until = input.observedAt + lease.leaseDurationMs;
  if (lease.holder !== null && now < until) return { kind: 'wait', holder: lease.holder, until };
  // Released (no holder) or expired: take it over with the next epoch.
  return { kind: 'update', resourceVersion: lease.resourceVersion, takeover: true, write: { ...ours(input, now, lease.annotations), labels: lease.labels, transitions: lease.transitions + 1 } };
}

/**
 * What a graceful stop writes: no holder (others take it at their next look,
 * without waiting out the duration), the epoch kept (the next holder adds one),
 * no advertised URL.
 */
export function releaseWrite(lease: LeaseRecord, now: number): LeaseWrite {
  const { [LEADER_URL_ANNOTATION]: _url, ...annotations } = lease.annotations;
  return { holder: null, leaseDurationMs: lease.leaseDurationMs, acquireTime: lease.acquireTime, renewTime: now, transitions: lease.transitions, labels: lease.labels, annotations };
}

function ours(input: DecideInput, acquireTime: number, annotations: Readonly<Record<string, string>>): Omit<LeaseWrite, 'transitions' | 'labels'> {
  const { [LEADER_URL_ANNOTATION]: _previous, ...rest } = annotations;
  return {
    holder: input.identity,
    leaseDurationMs: input.leaseDurationMs,
    acquireTime,
    renewTime: input.now,
    annotations: input.advertiseUrl === null ? rest : { ...rest, [LEADER_URL_ANNOTATION]: input.advertiseUrl },
  };
}
