/**
 * lib/leader against the real API server of the test stack, acting with the
 * ServiceAccount tokens that k8s/rbac binds (TokenRequest API): two electors on
 * one Lease give exactly one leader; a leader that stops renewing without
 * releasing (a crash) is replaced within one lease duration, with a higher
 * epoch, and only after its own renew deadline; a graceful release is taken at
 * the standby's next look; a stale write is refused by the server
 * (resourceVersion); each Role reaches its own Lease only. Takeover times are
 * measured and printed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type * as K8s from '@kubernetes/client-node';
import { systemClock } from '../../lib/clock';
import { ErrorCodes, errorCode } from '../../lib/errors';
import { clientLeaseApi, LeaseElector, type LeaderEvent, type LeaseApi, type LeaseRecord } from '../../lib/leader';
import { silentLogger } from '../../lib/log';
import { adminKubeConfig, apiStatus, createTestNamespace, k8s, serviceAccountKubeConfig, waitUntil, type TestNamespace } from '../helpers/kubernetes';

const RBAC_DIR = join(__dirname, '..', '..', 'k8s', 'rbac');
/** Short timings so the test is quick; the same ratios as the defaults' constraints (3 s + 1 s < 5 s). */
const TIMINGS = { leaseDurationMs: 5_000, renewDeadlineMs: 3_000, retryPeriodMs: 1_000 };
/** What a takeover costs beyond the lease duration on a busy two-core machine: a read and a write, and a late timer. */
const CALL_SLACK_MS = 750;

interface Candidate {
  readonly name: string;
  readonly elector: LeaseElector;
  readonly events: (LeaderEvent & { at: number })[];
  /** Every later call of this candidate hangs forever: the process died (no renewal, no release). */
  crash(): void;
}

/** A LeaseApi whose calls can be made to hang, as those of a killed process would never arrive. */
function crashable(api: LeaseApi): { api: LeaseApi; crash: () => void } {
  let dead = false;
  const never = new Promise<never>(() => undefined);
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      dead ? never : call(...args);
  return {
    api: { description: api.description, get: guard(() => api.get()), create: guard((l) => api.create(l)), update: guard((l, rv) => api.update(l, rv)) },
    crash: () => void (dead = true),
  };
}

describe('leader election on a real API server (coordination.k8s.io/v1 Lease, k8s/rbac Roles)', () => {
  let admin: K8s.KubeConfig;
  let ns: TestNamespace;
  let dispatcherKc: K8s.KubeConfig;
  let evaluatorKc: K8s.KubeConfig;
  const candidates: Candidate[] = [];

  function candidate(name: string, leaseName = 'roundhouse-dispatcher', kc: K8s.KubeConfig = dispatcherKc): Candidate {
    const { api, crash } = crashable(clientLeaseApi(k8s(), kc, ns.name, leaseName));
    const events: (LeaderEvent & { at: number })[] = [];
    const elector = new LeaseElector({ api, identity: `${name}_${Math.random().toString(16).slice(2, 10)}`, clock: systemClock, logger: silentLogger(), ...TIMINGS });
    elector.subscribe((event) => events.push({ ...event, at: Date.now() }));
    const c = { name, elector, events, crash };
    candidates.push(c);
    return c;
  }
  const leading = (...cs: Candidate[]) => cs.filter((c) => c.elector.status().role === 'leader');
  const acquired = (c: Candidate) => c.events.find((e) => e.type === 'acquired') as (LeaderEvent & { type: 'acquired'; at: number }) | undefined;
  const lost = (c: Candidate) => c.events.find((e) => e.type === 'lost');
  const coordination = () => admin.makeApiClient(k8s().CoordinationV1Api);
  const readLease = (name: string) => coordination().readNamespacedLease({ name, namespace: ns.name });
  const deleteLease = (name: string) =>
    coordination()
      .deleteNamespacedLease({ name, namespace: ns.name })
      .catch((error: unknown) => (apiStatus(error) === 404 ? undefined : Promise.reject(error)));

  beforeAll(async () => {
    admin = adminKubeConfig();
    ns = await createTestNamespace('rh-leader');
    const core = admin.makeApiClient(k8s().CoreV1Api);
    const rbac = admin.makeApiClient(k8s().RbacAuthorizationV1Api);
    const read = <T>(file: string): T => parseYaml(readFileSync(join(RBAC_DIR, file), 'utf8')) as T;
    for (const [account, role, binding] of [
      ['serviceaccount.yaml', 'role.yaml', 'rolebinding.yaml'],
      ['evaluator-serviceaccount.yaml', 'evaluator-role.yaml', 'evaluator-rolebinding.yaml'],
    ] as const) {
      await core.createNamespacedServiceAccount({ namespace: ns.name, body: read<K8s.V1ServiceAccount>(account) });
      await rbac.createNamespacedRole({ namespace: ns.name, body: read<K8s.V1Role>(role) });
      const body = read<K8s.V1RoleBinding>(binding);
      await rbac.createNamespacedRoleBinding({ namespace: ns.name, body: { ...body, subjects: (body.subjects ?? []).map((s) => ({ ...s, namespace: ns.name })) } });
    }
    dispatcherKc = await serviceAccountKubeConfig(ns.name, 'roundhouse-dispatcher', { admin });
    evaluatorKc = await serviceAccountKubeConfig(ns.name, 'roundhouse-evaluator', { admin });
    // RBAC is in force once a read of the (absent) Lease is a 404 rather than a 403.
    for (const [kc, name] of [
      [dispatcherKc, 'roundhouse-dispatcher'],
      [evaluatorKc, 'roundhouse-evaluator'],
    ] as const) {
      const api = clientLeaseApi(k8s(), kc, ns.name, name);
      await waitUntil(`the RoleBinding for ${name} to take effect`, () => api.get().then(() => true), { timeoutMs: 30_000 });
    }
  });

  afterEach(async () => {
    for (const c of candidates.splice(0)) await c.elector.stop();
    await deleteLease('roundhouse-dispatcher');
    await deleteLease('roundhouse-evaluator');
  });

  afterAll(async () => {
    await ns?.delete();
  });

  it('two electors on one Lease: exactly one leads, the same one throughout, and the Lease names it with epoch 1', async () => {
    const a = candidate('dispatcher-a');
    const b = candidate('dispatcher-b');
    await Promise.all([a.elector.start(), b.elector.start()]);
    const first = await waitUntil('a leader', () => leading(a, b)[0], { timeoutMs: 10_000, intervalMs: 20 });
    const until = Date.now() + 3 * TIMINGS.leaseDurationMs;
    while (Date.now() < until) {
      expect(leading(a, b).map((c) => c.name)).toEqual([first.name]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const standby = first === a ? b : a;
    const lease = await readLease('roundhouse-dispatcher');
    expect(lease.spec).toMatchObject({ holderIdentity: first.elector.status().identity, leaseTransitions: 1, leaseDurationSeconds: 5 });
    expect(lease.metadata?.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'roundhouse' });
    expect(first.elector.status().epoch).toBe(1);
    expect(standby.elector.status()).toMatchObject({ role: 'candidate', observedHolder: first.elector.status().identity, observedEpoch: 1 });
    expect(acquired(standby)).toBeUndefined();
  });

  it('a crashed leader (stops renewing, no release): the standby takes over within one lease duration, with a higher epoch, after the old term ended', async () => {
    const a = candidate('dispatcher-a');
    await a.elector.start();
    expect(a.elector.status().role).toBe('leader');
    const b = candidate('dispatcher-b');
    await b.elector.start();
    // Let a renew a few times while b watches.
    await new Promise((resolve) => setTimeout(resolve, 2.5 * TIMINGS.retryPeriodMs));
    expect(b.elector.status().role).toBe('candidate');
    a.crash();
    const crashedAt = Date.now();
    const before = await readLease('roundhouse-dispatcher');
    const lastRenewal = Date.parse(String(before.spec?.renewTime));
    await waitUntil('the standby to lead', () => acquired(b), { timeoutMs: 3 * TIMINGS.leaseDurationMs, intervalMs: 20 });
    const takeover = acquired(b)!;
    const sinceCrash = takeover.at - crashedAt;
    const sinceRenewal = takeover.at - lastRenewal;
    console.log(
      `leader election (real API server): crash → takeover ${sinceCrash} ms, last renewal → takeover ${sinceRenewal} ms ` +
        `(lease ${TIMINGS.leaseDurationMs} ms, renew deadline ${TIMINGS.renewDeadlineMs} ms, retry ${TIMINGS.retryPeriodMs} ms)`,
    );
    expect(takeover.epoch).toBe(2);
    expect(b.elector.status()).toMatchObject({ role: 'leader', epoch: 2 });
    expect(sinceCrash).toBeLessThanOrEqual(TIMINGS.leaseDurationMs + CALL_SLACK_MS);
    expect(sinceRenewal).toBeLessThanOrEqual(TIMINGS.leaseDurationMs + CALL_SLACK_MS);
    // The old leader's own deadline ended its term before the new one began.
    expect(lost(a)).toBeDefined();
    expect(lost(a)!.at).toBeLessThan(takeover.at);
    const after = await readLease('roundhouse-dispatcher');
    expect(after.spec).toMatchObject({ holderIdentity: b.elector.status().identity, leaseTransitions: 2 });
  });

  it('a graceful stop releases the Lease: the standby takes it at its next look, with the next epoch', async () => {
    const a = candidate('evaluator-a', 'roundhouse-evaluator', evaluatorKc);
    await a.elector.start();
    const b = candidate('evaluator-b', 'roundhouse-evaluator', evaluatorKc);
    await b.elector.start();
    await new Promise((resolve) => setTimeout(resolve, 1.5 * TIMINGS.retryPeriodMs));
    await a.elector.stop();
    const releasedAt = Date.now();
    expect((await readLease('roundhouse-evaluator')).spec?.holderIdentity ?? '').toBe('');
    await waitUntil('the standby to lead', () => acquired(b), { timeoutMs: 3 * TIMINGS.retryPeriodMs, intervalMs: 20 });
    const takeover = acquired(b)!.at - releasedAt;
    console.log(`leader election (real API server): release → takeover ${takeover} ms (retry ${TIMINGS.retryPeriodMs} ms)`);
    expect(takeover).toBeLessThanOrEqual(TIMINGS.retryPeriodMs + CALL_SLACK_MS);
    expect(acquired(b)!.epoch).toBe(2);
    expect(lost(a)).toBeUndefined();
  });

  it('candidates that read the same free Lease race: the server lets one write win, the other gets 409 and stands by', async () => {
    const seed = candidate('dispatcher-seed');
    await seed.elector.start();
    await seed.elector.stop(); // a released Lease, epoch 1
    const racers = [candidate('dispatcher-a'), candidate('dispatcher-b'), candidate('dispatcher-c')];
    await Promise.all(racers.map((c) => c.elector.start()));
    await waitUntil('a leader', () => leading(...racers)[0], { timeoutMs: 5_000, intervalMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 2 * TIMINGS.retryPeriodMs));
    expect(leading(...racers)).toHaveLength(1);
    expect(racers.flatMap((c) => c.events.filter((e) => e.type === 'acquired'))).toEqual([expect.objectContaining({ epoch: 2 })]);
    expect((await readLease('roundhouse-dispatcher')).spec?.leaseTransitions).toBe(2);
  });

  it("a deposed leader's late write names a stale resourceVersion and the server refuses it", async () => {
    const raw = clientLeaseApi(k8s(), dispatcherKc, ns.name, 'roundhouse-dispatcher');
    const mine = await raw.create({ holder: 'old_1', leaseDurationMs: 5_000, acquireTime: Date.now(), renewTime: Date.now(), transitions: 1, labels: {}, annotations: {} });
    const theirs: LeaseRecord = await raw.update({ ...mine, holder: 'new_1', transitions: 2 }, mine.resourceVersion);
    const late = await raw.update({ ...mine, renewTime: Date.now() }, mine.resourceVersion).then(
      () => 'accepted',
      (error: unknown) => errorCode(error),
    );
    expect(late).toBe(ErrorCodes.CONFLICT);
    expect(await raw.get()).toMatchObject({ holder: 'new_1', transitions: 2, resourceVersion: theirs.resourceVersion });
    expect(await raw.create({ ...mine }).then(() => 'created', (error: unknown) => errorCode(error))).toBe(ErrorCodes.CONFLICT);
  });

  it("each Role reaches its own Lease only: the evaluator's token may not read or take the dispatcher's", async () => {
    const foreign = clientLeaseApi(k8s(), evaluatorKc, ns.name, 'roundhouse-dispatcher');
    const denied = await foreign.get().then(
      () => 'allowed',
      (error: unknown) => errorCode(error),
    );
    expect(denied).toBe(ErrorCodes.KUBERNETES_UNAVAILABLE);
    const status = await evaluatorKc
      .makeApiClient(k8s().CoordinationV1Api)
      .readNamespacedLease({ name: 'roundhouse-dispatcher', namespace: ns.name })
      .then(
        () => 200,
        (error: unknown) => apiStatus(error),
      );
    expect(status).toBe(403);
    // And an elector with a token that may not read its Lease never leads (and says why in its errors).
    const seen: string[] = [];
    const blocked = new LeaseElector({ api: foreign, identity: 'evaluator-x_1', clock: systemClock, logger: silentLogger(), ...TIMINGS, onError: (op, e) => seen.push(`${op} ${errorCode(e)}`) });
    await blocked.start();
    await blocked.stop();
    expect(blocked.status().role).toBe('stopped');
    expect(seen).toEqual(['campaign KUBERNETES_UNAVAILABLE']);
  });
});
