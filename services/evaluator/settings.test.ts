import { loadConfig } from '../../lib/config';
import { errorCode } from '../../lib/errors';
import { DEFAULT_ARTIFACT_LIMITS } from './limits';
import { loadEvaluatorSettings } from './settings';

const settings = (env: Record<string, string>) => loadEvaluatorSettings(env, loadConfig(env));
const config = loadConfig({ ROUNDHOUSE_TOPIC_PREFIX: 'dev.' });
const MiB = 1024 * 1024;

describe('loadEvaluatorSettings', () => {
  it('defaults: its group, a minute to catch up, the artifact bounds of limits.ts, and no leader election without a cluster', () => {
    expect(settings({})).toEqual({
      groupId: 'roundhouse-evaluator',
      catchUpTimeoutMs: 60_000,
      artifactBaseDir: null,
      artifactLimits: DEFAULT_ARTIFACT_LIMITS,
      kubeconfigPath: null,
      leader: { mode: 'none', leaseName: 'roundhouse-evaluator', leaseNamespace: null, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    });
    expect(loadEvaluatorSettings({}, config).groupId).toBe('dev.roundhouse-evaluator');
    expect(DEFAULT_ARTIFACT_LIMITS).toEqual({ maxFileBytes: 128 * MiB, maxModelBytes: 32 * MiB, maxModelColumns: 1 << 20, maxHoldoutBytes: 256 * MiB, maxHoldoutRows: 1_000_000, maxHoldoutColumns: 1000 });
    expect(Object.isFrozen(settings({}))).toBe(true);
    expect(Object.isFrozen(settings({}).artifactLimits)).toBe(true);
  });

  it('reads every EVALUATOR_MAX_* bound (sizes in MiB)', () => {
    const settings = loadEvaluatorSettings(
      {
        EVALUATOR_MAX_FILE_MB: '64',
        EVALUATOR_MAX_MODEL_MB: '8',
        EVALUATOR_MAX_MODEL_COLUMNS: '5000',
        EVALUATOR_MAX_HOLDOUT_MB: '512',
        EVALUATOR_MAX_HOLDOUT_ROWS: '2000000',
        EVALUATOR_MAX_HOLDOUT_COLUMNS: '200',
      },
      config,
    );
    expect(settings.artifactLimits).toEqual({ maxFileBytes: 64 * MiB, maxModelBytes: 8 * MiB, maxModelColumns: 5000, maxHoldoutBytes: 512 * MiB, maxHoldoutRows: 2_000_000, maxHoldoutColumns: 200 });
  });

  it('reports every bad bound with its variable', () => {
    let error: unknown;
    try {
      loadEvaluatorSettings({ EVALUATOR_MAX_FILE_MB: '0', EVALUATOR_MAX_HOLDOUT_ROWS: 'many', EVALUATOR_MAX_MODEL_COLUMNS: '1.5', EVALUATOR_CATCH_UP_TIMEOUT: 'soon' }, config);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('4 problem(s)') });
    for (const variable of ['EVALUATOR_MAX_FILE_MB', 'EVALUATOR_MAX_HOLDOUT_ROWS', 'EVALUATOR_MAX_MODEL_COLUMNS', 'EVALUATOR_CATCH_UP_TIMEOUT']) {
      expect((error as Error).message).toContain(`  ${variable}: `);
    }
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
