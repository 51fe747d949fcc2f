import { ManualClock } from '../clock';
import { ErrorCodes, RoundhouseError } from '../errors';
import { silentLogger } from '../log';
import { LeaseElector, type LeaseElectorOptions } from './elector';
import { MemoryLeaseStore } from './fake';
import { LEADER_URL_ANNOTATION, type LeaderEvent } from './types';

const LEASE = 'roundhouse-dispatcher';
const TIMINGS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** Let the fake's promise chains run (it answers in microtasks). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Advance the clock in small steps, letting every round that becomes due run. */
async function advance(clock: ManualClock, ms: number, step = 100): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await flush();
  }
}

interface Candidate {
  readonly who: string;
  readonly elector: LeaseElector;
  readonly events: (LeaderEvent & { at: number })[];
}

function candidate(store: MemoryLeaseStore, clock: ManualClock, who: string, options: Partial<LeaseElectorOptions> = {}): Candidate {
  const events: (LeaderEvent & { at: number })[] = [];
  const elector = new LeaseElector({ api: store.api(LEASE, who), identity: who, clock, logger: silentLogger(), ...TIMINGS, ...options });
  elector.subscribe((event) => events.push({ ...event, at: clock.now() }));
  return { who, elector, events };
}

const leaders = (...candidates: Candidate[]): string[] => candidates.filter((c) => c.elector.status().role === 'leader').map((c) => c.who);
const acquiredAt = (c: Candidate): number | undefined => c.events.find((e) => e.type === 'acquired')?.at;
const lostAt = (c: Candidate): number | undefined => c.events.find((e) => e.type === 'lost')?.at;

describe('LeaseElector', () => {
  it('creates a missing Lease and leads with epoch 1, advertising its URL', async () => {
    const clock = new ManualClock(1_000);
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1', { advertiseUrl: 'http://10.0.0.1:8080' });
    await a.elector.start();
    expect(a.elector.status()).toMatchObject({ role: 'leader', epoch: 1, observedHolder: 'a_1', leaderUrl: 'http://10.0.0.1:8080' });
    expect(a.events.filter((e) => e.type === 'acquired')).toEqual([{ type: 'acquired', epoch: 1, at: 1_000 }]);
    expect(store.get(LEASE)).toMatchObject({ holder: 'a_1', transitions: 1, leaseDurationMs: 15_000, annotations: { [LEADER_URL_ANNOTATION]: 'http://10.0.0.1:8080' } });
  });

  it('renews every retry period, keeping the epoch', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1');
    await a.elector.start();
    await advance(clock, 10_000);
    const renewals = store.writes.filter((w) => w.by === 'a_1' && w.op === 'update');
    expect(renewals).toHaveLength(5);
    expect(new Set(renewals.map((w) => w.lease.transitions))).toEqual(new Set([1]));
    expect(store.get(LEASE)?.renewTime).toBe(10_000);
    expect(a.elector.status().role).toBe('leader');
  });

  it('two candidates on one Lease: exactly one leads, the other stands by and sees who', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1');
    const b = candidate(store, clock, 'b_1');
    await Promise.all([a.elector.start(), b.elector.start()]);
    for (let i = 0; i < 60; i++) {
      await advance(clock, 1_000);
      expect(leaders(a, b)).toHaveLength(1);
    }
    const [leader] = leaders(a, b);
    const standby = leader === 'a_1' ? b : a;
    expect(standby.elector.status()).toMatchObject({ role: 'candidate', epoch: null, observedHolder: leader, observedEpoch: 1 });
    expect(standby.events.some((e) => e.type === 'acquired')).toBe(false);
  });

  it('of two candidates that read the same free Lease, the API server lets one write win (resourceVersion); the other gets CONFLICT', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    store.put(LEASE, { holder: null, leaseDurationMs: 15_000, acquireTime: null, renewTime: null, transitions: 7, labels: {}, annotations: {} });
    const a = candidate(store, clock, 'a_1');
    const b = candidate(store, clock, 'b_1');
    // Both reads land before either write: the two writes name the same resourceVersion.
    await Promise.all([a.elector.start(), b.elector.start()]);
    expect(leaders(a, b)).toHaveLength(1);
    const takeovers = store.writes.filter((w) => w.by !== 'test');
    expect(takeovers).toHaveLength(1);
    expect(takeovers[0]!.lease.transitions).toBe(8);
  });

  it('a crashed leader (stops renewing): it gives up at the renew deadline, the standby takes over after one lease duration with the next epoch', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1');
    await a.elector.start();
    const b = candidate(store, clock, 'b_1');
    await b.elector.start();
    await advance(clock, 6_000);
    const lastRenewal = store.get(LEASE)!.renewTime!;
    store.partition('a_1'); // the leader can no longer reach the API server
    const crashAt = clock.now();
    await advance(clock, 20_000);
    expect(lostAt(a)).toBe(lastRenewal + TIMINGS.renewDeadlineMs);
    expect(a.elector.status()).toMatchObject({ role: 'lost', epoch: null });
    const takeover = acquiredAt(b)!;
    expect(b.elector.status()).toMatchObject({ role: 'leader', epoch: 2 });
    // Never two leaders: the old one stopped before the new one started.
    expect(lostAt(a)!).toBeLessThan(takeover);
    // Within one lease duration of the last renewal (so of the crash), and never before the old term's deadline.
    expect(takeover - lastRenewal).toBeLessThanOrEqual(TIMINGS.leaseDurationMs);
    expect(takeover - crashAt).toBeLessThanOrEqual(TIMINGS.leaseDurationMs);
    expect(takeover - lastRenewal).toBeGreaterThan(TIMINGS.renewDeadlineMs + (TIMINGS.leaseDurationMs - TIMINGS.renewDeadlineMs - TIMINGS.retryPeriodMs) - 1);
  });

  it.each([0, 300, 700, 1_300, 1_900])('whatever the phase of the standby (%i ms after the leader), it takes over within one lease duration of the last renewal and at least renewDeadline + margin after it', async (phase) => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1');
    await a.elector.start();
    await advance(clock, phase, 50);
    const b = candidate(store, clock, 'b_1');
    await b.elector.start();
    await advance(clock, 7_000 - phase, 50);
    const lastRenewal = store.get(LEASE)!.renewTime!;
    store.partition('a_1');
    await advance(clock, 20_000, 50);
    const takeover = acquiredAt(b)!;
    expect(takeover - lastRenewal).toBeLessThanOrEqual(TIMINGS.leaseDurationMs);
    expect(takeover - lastRenewal).toBeGreaterThanOrEqual(TIMINGS.leaseDurationMs - TIMINGS.retryPeriodMs);
    expect(lostAt(a)!).toBeLessThanOrEqual(takeover - (TIMINGS.leaseDurationMs - TIMINGS.renewDeadlineMs - TIMINGS.retryPeriodMs));
  });

  it('a leader whose calls hang (a paused process, a stalled connection) still gives up at the renew deadline', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1');
    await a.elector.start();
    await advance(clock, 4_000);
    const lastRenewal = store.get(LEASE)!.renewTime!;
    store.hang('a_1');
    await advance(clock, 12_000);
    expect(lostAt(a)).toBe(lastRenewal + TIMINGS.renewDeadlineMs);
  });

  it('a standby whose calls hang gives up on each after the renew deadline and keeps campaigning', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1');
    const resume = store.hang('a_1');
    void a.elector.start();
    await advance(clock, 11_000);
    expect(a.elector.status().role).toBe('candidate');
    resume();
    await advance(clock, 3_000);
    expect(a.elector.status().role).toBe('leader');
  });

  it('rides out failed renewals shorter than the renew deadline', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1');
    await a.elector.start();
    for (let i = 0; i < 3; i++) store.failNext('a_1'); // renewals at 2, 4 and 6 s fail; 8 s is inside the deadline
    await advance(clock, 12_000);
    expect(a.elector.status()).toMatchObject({ role: 'leader', epoch: 1 });
    expect(a.events.some((e) => e.type === 'lost')).toBe(false);
  });

  it('a graceful stop releases the Lease: the standby takes over at its next look, with the next epoch', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1', { advertiseUrl: 'http://a:8080' });
    await a.elector.start();
    const b = candidate(store, clock, 'b_1');
    await b.elector.start();
    await advance(clock, 5_000);
    const stoppedAt = clock.now();
    await a.elector.stop();
    expect(a.elector.status().role).toBe('stopped');
    expect(store.get(LEASE)).toMatchObject({ holder: null, transitions: 1, annotations: {} });
    await advance(clock, TIMINGS.retryPeriodMs);
    expect(b.elector.status()).toMatchObject({ role: 'leader', epoch: 2 });
    expect(acquiredAt(b)! - stoppedAt).toBeLessThanOrEqual(TIMINGS.retryPeriodMs);
    expect(a.events.some((e) => e.type === 'lost')).toBe(false);
  });

  it('the epoch grows with every change of holder', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const epochs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = candidate(store, clock, `c_${i}`);
      await c.elector.start();
      await advance(clock, TIMINGS.retryPeriodMs);
      epochs.push(c.elector.status().epoch!);
      await c.elector.stop();
    }
    expect(epochs).toEqual([1, 2, 3, 4, 5]);
  });

  it('stays leader when someone else edits only the metadata (CONFLICT, still ours), and loses at once when the holder changed', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1');
    await a.elector.start();
    store.put(LEASE, { ...store.get(LEASE)!, annotations: { note: 'kubectl annotate' } });
    await advance(clock, 3_000);
    expect(a.elector.status()).toMatchObject({ role: 'leader', epoch: 1 });
    expect(store.get(LEASE)?.annotations).toEqual({ note: 'kubectl annotate' });
    store.put(LEASE, { ...store.get(LEASE)!, holder: 'intruder', transitions: 2 });
    await advance(clock, 2_000);
    expect(a.elector.status()).toMatchObject({ role: 'lost', reason: 'the lease is now held by intruder (epoch 2)' });
  });

  it('loses when the Lease is deleted under it', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1');
    await a.elector.start();
    store.delete(LEASE);
    await advance(clock, 2_000);
    expect(a.elector.status()).toMatchObject({ role: 'lost', reason: 'the lease was deleted' });
  });

  it('losing is final: a lost elector never campaigns again', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1');
    await a.elector.start();
    store.partition('a_1');
    await advance(clock, 12_000);
    store.partition('a_1', false);
    const writes = store.writes.length;
    await advance(clock, 30_000);
    expect(store.writes.length).toBe(writes);
    expect(a.elector.status().role).toBe('lost');
  });

  it('a stop while an acquisition is in flight releases what it took', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a_1');
    const resume = store.hang('a_1');
    const starting = a.elector.start();
    await flush();
    const stopping = a.elector.stop();
    resume();
    await Promise.all([starting, stopping]);
    await flush();
    expect(store.get(LEASE)?.holder ?? null).toBeNull();
    expect(a.events.some((e) => e.type === 'acquired')).toBe(false);
  });

  it('reports API errors to onError and keeps campaigning', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    const seen: string[] = [];
    const a = candidate(store, clock, 'a_1', { onError: (operation, error) => seen.push(`${operation} ${(error as RoundhouseError).code}`) });
    store.failNext('a_1', new RoundhouseError(ErrorCodes.KUBERNETES_UNAVAILABLE, 'create lease: HTTP 403 Forbidden'));
    await a.elector.start();
    expect(a.elector.status().role).toBe('candidate');
    await advance(clock, 2_000);
    expect(a.elector.status().role).toBe('leader');
    expect(seen).toEqual(['campaign KUBERNETES_UNAVAILABLE']);
  });

  it('refuses timings that would let two lead at once', () => {
    const store = new MemoryLeaseStore();
    const make = (t: Partial<typeof TIMINGS>) => () => new LeaseElector({ api: store.api(LEASE, 'x'), identity: 'x', clock: new ManualClock(), logger: silentLogger(), ...TIMINGS, ...t });
    expect(make({ renewDeadlineMs: 15_000 })).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID }));
    expect(make({ retryPeriodMs: 10_000 })).toThrow(/retryPeriod < renewDeadline/);
    expect(make({ renewDeadlineMs: 13_000, retryPeriodMs: 2_000 })).toThrow(/renewDeadline \+ retryPeriod < leaseDuration/);
    expect(make({ retryPeriodMs: 0 })).toThrow();
  });
});
