import { ManualClock } from '../clock';
import { silentLogger } from '../log';
import { Readiness, createServiceMetrics } from '../metrics';
import { createLeadership, leaderIdentity } from './create';
import { MemoryLeaseStore } from './fake';
import { whileLeader } from './gate';
import { leaderReadiness } from './readiness';
import { SingleProcessLeadership } from './single';
import type { LeaderSettings } from './settings';
import type { Leadership } from './types';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};
async function advance(clock: ManualClock, ms: number): Promise<void> {
  for (let done = 0; done < ms; done += 100) {
    clock.advance(100);
    await flush();
  }
}

const LEASE: LeaderSettings = { mode: 'lease', leaseName: 'roundhouse-evaluator', leaseNamespace: 'ns', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

function world() {
  const clock = new ManualClock(1_000);
  const store = new MemoryLeaseStore();
  const metrics = createServiceMetrics('evaluator');
  const make = (who: string, registry = createServiceMetrics('evaluator')): Leadership =>
    createLeadership({ settings: LEASE, kubeconfigPath: null, api: store.api(LEASE.leaseName, who, 'ns'), identity: who, clock, logger: silentLogger(), metrics: registry });
  return { clock, store, metrics, make };
}

async function metric(registry: ReturnType<typeof createServiceMetrics>, name: string): Promise<number | undefined> {
  const found = (await registry.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return found?.values[0]?.value;
}

describe('SingleProcessLeadership', () => {
  it('leads from start with epoch 0', async () => {
    const leadership = new SingleProcessLeadership('demo');
    const events: unknown[] = [];
    leadership.subscribe((e) => events.push(e));
    expect(leadership.status().role).toBe('candidate');
    await leadership.start();
    expect(leadership.status()).toMatchObject({ role: 'leader', epoch: 0, observedHolder: 'demo' });
    expect(events).toEqual([{ type: 'acquired', epoch: 0 }]);
    await leadership.stop();
    expect(leadership.status()).toMatchObject({ role: 'stopped', epoch: null });
  });

  it('is what createLeadership gives without a cluster', async () => {
    const metrics = createServiceMetrics('dispatcher');
    const leadership = createLeadership({ settings: { ...LEASE, mode: 'none' }, kubeconfigPath: null, identity: 'x', clock: new ManualClock(), logger: silentLogger(), metrics });
    await leadership.start();
    expect(leadership.status().epoch).toBe(0);
    expect(await metric(metrics, 'roundhouse_dispatcher_leader')).toBe(1);
    expect(await metric(metrics, 'roundhouse_dispatcher_leader_epoch')).toBe(0);
  });
});

describe('leaderIdentity', () => {
  it('is the instance id and a per-process suffix', () => {
    expect(leaderIdentity('roundhouse-dispatcher-7d9f-abcde', () => '0a1b2c3d')).toBe('roundhouse-dispatcher-7d9f-abcde_0a1b2c3d');
    expect(leaderIdentity('pod')).toMatch(/^pod_[0-9a-f]{8}$/);
    expect(leaderIdentity('pod')).not.toBe(leaderIdentity('pod'));
  });
});

describe('metrics', () => {
  it('roundhouse_<service>_leader is 1 on the leader and 0 on the standby; _leader_epoch follows the Lease', async () => {
    const { clock, store, make } = world();
    const aMetrics = createServiceMetrics('evaluator');
    const bMetrics = createServiceMetrics('evaluator');
    const a = make('a_1', aMetrics);
    const b = make('b_1', bMetrics);
    await a.start();
    await b.start();
    expect(await metric(aMetrics, 'roundhouse_evaluator_leader')).toBe(1);
    expect(await metric(bMetrics, 'roundhouse_evaluator_leader')).toBe(0);
    expect(await metric(bMetrics, 'roundhouse_evaluator_leader_epoch')).toBe(1);
    await a.stop();
    await advance(clock, 2_000);
    expect(await metric(bMetrics, 'roundhouse_evaluator_leader')).toBe(1);
    expect(await metric(bMetrics, 'roundhouse_evaluator_leader_epoch')).toBe(2);
    store.partition('b_1');
    await advance(clock, 11_000);
    expect(await metric(bMetrics, 'roundhouse_evaluator_leader')).toBe(0);
    const errors = (await bMetrics.registry.getMetricsAsJSON()).find((m) => m.name === 'roundhouse_evaluator_leader_lease_errors_total');
    expect(errors?.values.some((v) => v.labels.operation === 'renew' && v.labels.code === 'KUBERNETES_UNAVAILABLE' && v.value > 0)).toBe(true);
  });
});

describe('leaderReadiness', () => {
  it('the leader is ready when its own checks pass; a standby that can read the Lease is ready; one that cannot, or that lost, is not', async () => {
    const { clock, store, make } = world();
    const readyOf = (leadership: Leadership) => {
      const outer = new Readiness();
      const inner = leaderReadiness(outer, leadership, { now: () => clock.now(), staleAfterMs: LEASE.leaseDurationMs });
      const consuming = inner.flag('evaluator:consuming');
      return { outer, inner, consuming };
    };
    const a = make('a_1');
    const b = make('b_1');
    const ra = readyOf(a);
    const rb = readyOf(b);
    expect(rb.outer.report()).toMatchObject({ ready: false, checks: { leader: { ready: false, detail: 'standby: the lease has not been read yet' } } });
    await a.start();
    await b.start();
    // The leader waits for its consumers.
    expect(ra.outer.report()).toMatchObject({ ready: false, checks: { leader: { ready: true, detail: 'leader, epoch 1' }, 'evaluator:consuming': { ready: false } } });
    ra.consuming.set(true);
    expect(ra.outer.report().ready).toBe(true);
    // The standby's consumer checks do not count; the Lease does.
    expect(rb.outer.report()).toEqual({ ready: true, checks: { leader: { ready: true, detail: 'standby; leader a_1 (epoch 1)' }, 'evaluator:consuming': { ready: true, detail: 'standby: not consuming' } } });
    expect(rb.inner.report()).toEqual(rb.outer.report());
    store.partition('b_1');
    await advance(clock, 16_000);
    expect(rb.outer.report()).toMatchObject({ ready: false, checks: { leader: { ready: false, detail: 'standby: cannot read the lease' } } });
    store.partition('a_1');
    await advance(clock, 11_000);
    expect(ra.outer.report()).toMatchObject({ ready: false, checks: { leader: { ready: false, detail: expect.stringMatching(/^lost: could not renew/) } } });
  });
});

describe('whileLeader', () => {
  it('starts once on acquire, and exits on loss', async () => {
    const { clock, store, make } = world();
    const a = make('a_1');
    const calls: string[] = [];
    whileLeader(a, { start: async (epoch) => void calls.push(`start ${epoch}`), exit: (reason) => calls.push(`exit ${reason}`), logger: silentLogger() });
    expect(calls).toEqual([]);
    await a.start();
    await flush();
    expect(calls).toEqual(['start 1']);
    store.partition('a_1');
    await advance(clock, 11_000);
    expect(calls).toEqual(['start 1', 'exit lost the lease (epoch 1): could not renew the lease within 10000 ms']);
  });

  it('with a readiness: the leader is not ready until start() resolved (its own checks may come later); a standby is', async () => {
    const { make } = world();
    const a = make('a_1');
    const outer = new Readiness();
    const inner = leaderReadiness(outer, a, { now: () => 0, staleAfterMs: 15_000 });
    let finish: () => void = () => undefined;
    whileLeader(a, { start: () => new Promise<void>((done) => (finish = done)), exit: () => undefined, logger: silentLogger(), readiness: inner });
    expect(outer.report().checks['leader:started']).toEqual({ ready: true, detail: 'standby: not consuming' });
    await a.start();
    await flush();
    expect(outer.report()).toMatchObject({ ready: false, checks: { leader: { ready: true }, 'leader:started': { ready: false, detail: 'starting' } } });
    finish();
    await flush();
    expect(outer.report().ready).toBe(true);
  });

  it('a standby does not start; a failed start exits with the reason', async () => {
    const { clock, make } = world();
    const a = make('a_1');
    const b = make('b_1');
    const calls: string[] = [];
    whileLeader(b, { start: async () => Promise.reject(new Error('Kafka is down')), exit: (reason) => calls.push(reason), logger: silentLogger() });
    await a.start();
    await b.start();
    await advance(clock, 5_000);
    expect(calls).toEqual([]);
    await a.stop();
    await advance(clock, 2_000);
    expect(calls).toEqual(['start as leader failed: Kafka is down']);
  });
});
