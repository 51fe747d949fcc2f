import type { Clock } from '../clock';
import { ErrorCodes, RoundhouseError, errorCode, errorMessage } from '../errors';
import type { Logger } from '../log';
import { decide, releaseWrite } from './decide';
import { LEADER_URL_ANNOTATION, type LeaderEvent, type LeaderRole, type LeaderStatus, type LeaseApi, type LeaseRecord, type Leadership } from './types';

export interface LeaseTimings {
  /** How long others wait after they last saw the Lease change before taking it (client-go default 15 s). */
  readonly leaseDurationMs: number;
  /** The leader gives up when it has not renewed for this long (< leaseDurationMs; client-go 10 s). */
  readonly renewDeadlineMs: number;
  /** How often the leader renews and candidates look (< renewDeadlineMs; client-go 2 s). */
  readonly retryPeriodMs: number;
}

export interface LeaseElectorOptions extends LeaseTimings {
  readonly api: LeaseApi;
  /** holderIdentity: unique per process (leaderIdentity()), so a restarted container is a new candidate. */
  readonly identity: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Written into the Lease while we lead (LEADER_URL_ANNOTATION), so standbys can forward API calls. */
  readonly advertiseUrl?: string | null;
  readonly onError?: (operation: string, error: unknown) => void;
}

/**
 * A leader elector on one Lease, on the injected clock (tests advance it).
 *
 * Safety: a write names the resourceVersion it read, so of two candidates that
 * saw the same free Lease one update succeeds and the other gets CONFLICT. The
 * leader counts its renew deadline from the moment it *sent* its last
 * successful write and stops at renewDeadline. A standby dates a change it
 * sees to its previous look that did not show it yet (the write happened after
 * that), but never more than one retryPeriod back, and waits leaseDuration from
 * there. So the old leader has stopped before anyone may take over as long as
 * renewDeadline + retryPeriod < leaseDuration, with what is left of that
 * (3 s with the defaults 15/10/2) as the margin for a slow process or a clock
 * running fast; and a standby takes over within one leaseDuration of the last
 * renewal (client-go dates the change to when it saw it, which is up to one
 * retryPeriod later).
 *
 * Liveness: a candidate looks every retryPeriod, and exactly when the holder's
 * duration runs out on its clock; a released Lease (no holder) is taken at the
 * next look.
 */
export class LeaseElector implements Leadership {
  private role: LeaderRole = 'candidate';
  private started = false;
  private stopping = false;
  private observed: { lease: LeaseRecord | null; at: number } | undefined;
  /** The Lease as we last wrote it, while we hold it. */
  private held: LeaseRecord | undefined;
  private lastContactAt: number | null = null;
  /** When the last successful read was sent: a change seen at the next read happened after it. */
  private lastLookSentAt: number | null = null;
  private reason: string | null = null;
  private cancelRound: () => void = () => undefined;
  private cancelDeadline: () => void = () => undefined;
  private inFlight: Promise<void> | undefined;
  private readonly listeners = new Set<(event: LeaderEvent) => void>();
  private readonly logger: Logger;

  constructor(private readonly options: LeaseElectorOptions) {
    const { retryPeriodMs: retry, renewDeadlineMs: deadline, leaseDurationMs: duration } = options;
    if (!(retry > 0 && retry < deadline && deadline + retry < duration)) {
      throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `lease timings must satisfy 0 < retryPeriod < renewDeadline and renewDeadline + retryPeriod < leaseDuration (got ${retry}, ${deadline}, ${duration} ms)`);
    }
    this.logger = options.logger.child({ component: 'leader-election', lease: options.api.description, identity: options.identity });
  }

  /** Runs the first round (so the caller knows at once if it leads), then keeps campaigning or renewing. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.logger.info({ leaseDurationMs: this.options.leaseDurationMs, renewDeadlineMs: this.options.renewDeadlineMs, retryPeriodMs: this.options.retryPeriodMs }, 'campaigning for the lease');
    await this.runRound();
  }

  /** Stops campaigning; a leader releases the Lease (no holder) so a standby takes it at its next look. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.cancelRound();
    await this.inFlight;
    this.cancelDeadline();
    const held = this.held;
    const wasLeader = this.role === 'leader';
    this.role = 'stopped';
    this.held = undefined;
    if (!held) return;
    try {
      const released = await this.call('release', () => this.options.api.update(releaseWrite(held, this.options.clock.now()), held.resourceVersion));
      this.observe(released, this.options.clock.now());
      this.logger.info({ epoch: held.transitions, wasLeader }, 'released the lease');
    } catch (error) {
      // CONFLICT: someone else holds it already. Otherwise it expires by itself.
      this.logger.warn({ reason: errorMessage(error), code: errorCode(error) }, 'could not release the lease; standbys wait for it to expire');
    }
  }

  status(): LeaderStatus {
    const lease = this.observed?.lease ?? null;
    const holder = lease?.holder ?? null;
    return {
      role: this.role,
      identity: this.options.identity,
      epoch: this.role === 'leader' && this.held ? this.held.transitions : null,
      observedHolder: holder,
      observedEpoch: lease?.transitions ?? null,
      leaderUrl: holder === null ? null : (lease?.annotations[LEADER_URL_ANNOTATION] ?? null),
      lastContactAt: this.lastContactAt,
      reason: this.reason,
    };
  }

  subscribe(listener: (event: LeaderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private runRound(): Promise<void> {
    const round = this.round().finally(() => {
      if (this.inFlight === round) this.inFlight = undefined;
    });
    this.inFlight = round;
    return round;
  }

  private async round(): Promise<void> {
    if (this.stopping || this.role === 'lost') return;
    const sentAt = this.options.clock.now();
    let delay = this.options.retryPeriodMs;
    try {
      delay = this.role === 'leader' ? await this.renew(sentAt) : await this.campaign(sentAt);
    } catch (error) {
      this.options.onError?.(this.role === 'leader' ? 'renew' : 'campaign', error);
      this.logger.warn({ reason: errorMessage(error), code: errorCode(error), role: this.role }, 'lease call failed; retrying');
    }
    if (this.stopping || (this.role as LeaderRole) === 'lost') return;
    this.cancelRound = this.options.clock.schedule(delay, () => void this.runRound());
  }

  /** Not leading: read, decide, maybe write. Returns when to look next. */
  private async campaign(sentAt: number): Promise<number> {
    const { api, clock, retryPeriodMs } = this.options;
    const lease = await this.call('get', () => api.get());
    const arrived = clock.now();
    const changedSince = this.lastLookSentAt === null ? arrived : Math.max(this.lastLookSentAt, arrived - retryPeriodMs);
    this.lastLookSentAt = sentAt;
    this.observe(lease, arrived, changedSince);
    const step = decide({ identity: this.options.identity, lease, observedAt: this.observed!.at, now: clock.now(), leaseDurationMs: this.options.leaseDurationMs, advertiseUrl: this.options.advertiseUrl ?? null });
    if (step.kind === 'wait') return Math.max(0, Math.min(retryPeriodMs, step.until - clock.now()));
    let written: LeaseRecord;
    try {
      written = await this.call(step.kind, () => (step.kind === 'create' ? api.create(step.write) : api.update(step.write, step.resourceVersion)));
    } catch (error) {
      // Another candidate wrote first (the API server's optimistic concurrency): it leads.
      if (errorCode(error) === ErrorCodes.CONFLICT) {
        this.logger.debug({ reason: errorMessage(error) }, 'another candidate acquired the lease first');
        return retryPeriodMs;
      }
      throw error;
    }
    this.observe(written, clock.now());
    this.held = written;
    if (this.stopping) return retryPeriodMs; // stop() releases what we just took
    this.role = 'leader';
    this.armDeadline(sentAt);
    this.logger.info({ epoch: written.transitions, previousHolder: lease?.holder ?? null }, 'acquired the lease: leading');
    this.emit({ type: 'acquired', epoch: written.transitions });
    return retryPeriodMs;
  }

  /** Leading: write the renewal straight away, naming the version we wrote last. */
  private async renew(sentAt: number): Promise<number> {
    const { api, clock, retryPeriodMs } = this.options;
    const held = this.held!;
    const step = decide({ identity: this.options.identity, lease: held, observedAt: sentAt, now: sentAt, leaseDurationMs: this.options.leaseDurationMs, advertiseUrl: this.options.advertiseUrl ?? null });
    if (step.kind !== 'update') throw new RoundhouseError(ErrorCodes.INTERNAL, `renewal decided ${step.kind}`);
    try {
      this.held = await this.call('renew', () => api.update(step.write, step.resourceVersion));
    } catch (error) {
      const code = errorCode(error);
      if (code === ErrorCodes.NOT_FOUND) {
        this.lose('the lease was deleted');
        return retryPeriodMs;
      }
      if (code !== ErrorCodes.CONFLICT) throw error;
      // Someone wrote the Lease since our last write: still ours (an annotation edit) or taken.
      const lease = await this.call('get', () => api.get());
      this.observe(lease, clock.now());
      if (lease?.holder === this.options.identity && lease.transitions === held.transitions) {
        this.held = lease;
        return 0;
      }
      this.lose(`the lease is now held by ${lease?.holder ?? 'nobody'} (epoch ${lease?.transitions ?? '-'})`);
      return retryPeriodMs;
    }
    this.observe(this.held, clock.now());
    // The deadline may have passed while the call was in flight: that loss stands.
    if (this.role === 'leader' && !this.stopping) this.armDeadline(sentAt);
    return retryPeriodMs;
  }

  /** Leadership ends renewDeadline after the last successful write was sent, whatever calls are still hanging. */
  private armDeadline(sentAt: number): void {
    this.cancelDeadline();
    const { clock, renewDeadlineMs } = this.options;
    this.cancelDeadline = clock.schedule(Math.max(0, sentAt + renewDeadlineMs - clock.now()), () => {
      this.lose(`could not renew the lease within ${renewDeadlineMs} ms`);
    });
  }

  private lose(reason: string): void {
    if (this.role !== 'leader') return;
    const epoch = this.held?.transitions ?? 0;
    this.role = 'lost';
    this.reason = reason;
    this.cancelRound();
    this.cancelDeadline();
    this.logger.warn({ epoch, reason }, 'lost the lease: stop leading');
    this.emit({ type: 'lost', epoch, reason });
  }

  /** `changedSince`: when the change (if this is one) happened at the earliest we may assume; default `at`. */
  private observe(lease: LeaseRecord | null, at: number, changedSince = at): void {
    this.lastContactAt = at;
    const previous = this.observed?.lease;
    if (this.observed && (previous?.resourceVersion ?? null) === (lease?.resourceVersion ?? null)) return;
    this.observed = { lease, at: changedSince };
    if (previous?.holder !== lease?.holder || previous?.transitions !== lease?.transitions) {
      this.emit({ type: 'observed', holder: lease?.holder ?? null, epoch: lease?.transitions ?? null });
    }
  }

  /** Every call ends within renewDeadline: a hung connection must not stall the loop (its late answer is ignored). */
  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const { clock, renewDeadlineMs, api } = this.options;
    return new Promise<T>((resolve, reject) => {
      const cancel = clock.schedule(renewDeadlineMs, () =>
        reject(new RoundhouseError(ErrorCodes.TIMEOUT, `${operation} lease ${api.description}: no answer within ${renewDeadlineMs} ms`, { context: { operation } })),
      );
      run().then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
          reject(error);
        },
      );
    });
  }

  private emit(event: LeaderEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error, event: event.type }, 'leadership listener failed');
      }
    }
  }
}
