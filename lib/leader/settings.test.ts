import { loadConfig } from '../config';
import { defaultLeaseName, parseLeaderSettings } from './settings';

const parse = (env: Record<string, string>, prefix = 'DISPATCHER') => parseLeaderSettings(env, loadConfig(env), { prefix, service: prefix.toLowerCase() });

describe('parseLeaderSettings', () => {
  it('no cluster configured: the single-process mode', () => {
    expect(parse({}).settings).toMatchObject({ mode: 'none', leaseName: 'roundhouse-dispatcher' });
  });

  it('a kubeconfig or a pod: a Lease, with client-go’s timings by default', () => {
    for (const env of [{ KUBECONFIG: '/k' }, { KUBERNETES_SERVICE_HOST: '10.96.0.1' }] as Record<string, string>[]) {
      expect(parse(env).settings).toEqual({ mode: 'lease', leaseName: 'roundhouse-dispatcher', leaseNamespace: null, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    }
  });

  it('reads the service’s own variables (the shared ConfigMap must not make two services one Lease)', () => {
    const env = { KUBECONFIG: '/k', KUBERNETES_NAMESPACE: 'rh', EVALUATOR_LEASE_NAME: 'eval-lease', EVALUATOR_LEASE_DURATION: '30s', EVALUATOR_LEASE_RENEW_DEADLINE: '20s', EVALUATOR_LEASE_RETRY_PERIOD: '4s', DISPATCHER_LEASE_NAME: 'other' };
    expect(parse(env, 'EVALUATOR').settings).toEqual({ mode: 'lease', leaseName: 'eval-lease', leaseNamespace: 'rh', leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 4_000 });
    expect(parse({ ...env, EVALUATOR_LEASE_NAMESPACE: 'leases' }, 'EVALUATOR').settings?.leaseNamespace).toBe('leases');
  });

  it('may be turned off on a cluster, and refuses a Lease without one', () => {
    expect(parse({ KUBECONFIG: '/k', DISPATCHER_LEADER_ELECTION: 'none' }).settings?.mode).toBe('none');
    expect(parse({ DISPATCHER_LEADER_ELECTION: 'lease' }).problems).toEqual(['DISPATCHER_LEADER_ELECTION: lease needs KUBECONFIG or an in-cluster ServiceAccount']);
  });

  it('reports every problem with its variable', () => {
    const { settings, problems } = parse({ KUBECONFIG: '/k', DISPATCHER_LEADER_ELECTION: 'raft', DISPATCHER_LEASE_NAME: 'Not_A_Name', DISPATCHER_LEASE_DURATION: 'soon', DISPATCHER_LEASE_RETRY_PERIOD: '0s' });
    expect(settings).toBeNull();
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/DISPATCHER_LEADER_ELECTION: .*\(got "raft"\)/);
    expect(problems.join('\n')).toMatch(/DISPATCHER_LEASE_NAME: expected a DNS-1123 subdomain/);
    expect(problems.join('\n')).toMatch(/DISPATCHER_LEASE_DURATION: expected a duration/);
    expect(problems.join('\n')).toMatch(/DISPATCHER_LEASE_RETRY_PERIOD: must be longer than 0/);
  });

  it.each([
    [{ DISPATCHER_LEASE_DURATION: '10s' }, /DISPATCHER_LEASE_RENEW_DEADLINE: with DISPATCHER_LEASE_RETRY_PERIOD it must stay under DISPATCHER_LEASE_DURATION/],
    [{ DISPATCHER_LEASE_DURATION: '12s' }, /10000 \+ 2000 ms ≥ 12000 ms/],
    [{ DISPATCHER_LEASE_RETRY_PERIOD: '10s', DISPATCHER_LEASE_DURATION: '30s' }, /DISPATCHER_LEASE_RETRY_PERIOD: must be shorter than DISPATCHER_LEASE_RENEW_DEADLINE/],
    [{ DISPATCHER_LEASE_DURATION: '15500ms' }, /whole seconds/],
    [{ ROUNDHOUSE_TOPIC_PREFIX: 'team..' }, /DISPATCHER_LEASE_NAME: the default "team..roundhouse-dispatcher" \(from ROUNDHOUSE_TOPIC_PREFIX\) is not a valid name/],
  ])('refuses timings that could let two lead at once, and names that cannot be: %p', (extra, message) => {
    const { settings, problems } = parse({ KUBECONFIG: '/k', ...extra });
    expect(settings).toBeNull();
    expect(problems.join('\n')).toMatch(message);
  });
});

describe('defaultLeaseName', () => {
  it.each([
    ['', 'roundhouse-dispatcher'],
    ['team-a.', 'team-a.roundhouse-dispatcher'],
    ['Team_A_', 'team-a-roundhouse-dispatcher'],
    ['__x', 'xroundhouse-dispatcher'],
  ])('topic prefix %p → %p', (prefix, name) => {
    expect(defaultLeaseName(prefix, 'dispatcher')).toBe(name);
  });
});
