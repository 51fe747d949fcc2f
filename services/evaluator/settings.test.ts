import { loadConfig } from '../../lib/config';
import { errorCode } from '../../lib/errors';
import { loadEvaluatorSettings } from './settings';

const settings = (env: Record<string, string>) => loadEvaluatorSettings(env, loadConfig(env));

describe('loadEvaluatorSettings', () => {
  it('defaults: its group, a minute to catch up, and no leader election without a cluster', () => {
    expect(settings({})).toEqual({
      groupId: 'roundhouse-evaluator',
      catchUpTimeoutMs: 60_000,
      artifactBaseDir: null,
      kubeconfigPath: null,
      leader: { mode: 'none', leaseName: 'roundhouse-evaluator', leaseNamespace: null, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    });
  });

  it('in a pod: a Lease of its own (EVALUATOR_*), never the dispatcher’s', () => {
    const s = settings({ KUBERNETES_SERVICE_HOST: '10.96.0.1', DISPATCHER_LEASE_NAME: 'dispatcher-only', EVALUATOR_LEASE_DURATION: '20s' });
    expect(s.leader).toMatchObject({ mode: 'lease', leaseName: 'roundhouse-evaluator', leaseDurationMs: 20_000 });
    expect(s.kubeconfigPath).toBeNull();
    expect(settings({ KUBECONFIG: '/k' })).toMatchObject({ kubeconfigPath: '/k', leader: { mode: 'lease' } });
  });

  it('reports every problem with its variable, leader election included', () => {
    let message = '';
    try {
      settings({ KUBECONFIG: '/k', EVALUATOR_CATCH_UP_TIMEOUT: 'later', EVALUATOR_LEADER_ELECTION: 'zookeeper', EVALUATOR_LEASE_NAMESPACE: 'Bad_NS' });
    } catch (error) {
      expect(errorCode(error)).toBe('CONFIG_INVALID');
      message = (error as Error).message;
    }
    expect(message).toContain('EVALUATOR_CATCH_UP_TIMEOUT');
    expect(message).toContain('EVALUATOR_LEADER_ELECTION');
    expect(message).toContain('EVALUATOR_LEASE_NAMESPACE');
  });
});
