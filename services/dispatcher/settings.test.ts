import { loadConfig } from '../../lib/config';
import { errorCode } from '../../lib/errors';
import { loadDispatcherSettings } from './settings';

const settings = (env: Record<string, string>) => loadDispatcherSettings(env, loadConfig(env));

describe('loadDispatcherSettings', () => {
  it('defaults to the local executor and sensible limits', () => {
    const s = settings({ DISPATCHER_API_TOKENS: 'a,b' });
    expect(s.executor).toBe('local');
    expect(s.app).toEqual({ groupId: 'roundhouse-dispatcher', maxConcurrentRuns: 10, resyncIntervalMs: 30_000, lostJobGraceMs: 120_000, artifactRoot: 'file://./artifacts', apiTokens: ['a', 'b'] });
    expect(Object.isFrozen(s.app)).toBe(true);
  });

  it('mounts the artifact claim at the file:// artifact root, and only for file:// roots', () => {
    const s = settings({ KUBECONFIG: '/k', DISPATCHER_ARTIFACT_CLAIM: 'roundhouse-artifacts', ARTIFACT_ROOT: 'file:///var/lib/roundhouse/artifacts/' });
    expect(s.kubernetes.artifactVolume).toEqual({ claimName: 'roundhouse-artifacts', mountPath: '/var/lib/roundhouse/artifacts' });
    expect(settings({ KUBECONFIG: '/k' }).kubernetes.artifactVolume).toBeNull();
    expect(settings({ KUBECONFIG: '/k', DISPATCHER_ARTIFACT_CLAIM: 'x', ARTIFACT_ROOT: 'file://./artifacts' }).kubernetes.artifactVolume).toBeNull();
  });

  it('picks Kubernetes with KUBECONFIG or in a cluster', () => {
    expect(settings({ KUBECONFIG: '/k' }).executor).toBe('kubernetes');
    expect(settings({ KUBECONFIG: '/k' }).kubernetes.kubeconfigPath).toBe('/k');
    const inCluster = settings({ KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    expect(inCluster.executor).toBe('kubernetes');
    expect(inCluster.kubernetes.kubeconfigPath).toBeNull();
    expect(settings({ KUBECONFIG: '/k', DISPATCHER_EXECUTOR: 'local' }).executor).toBe('local');
  });

  it('passes Kafka and registry settings (never credentials) through to the trainer', () => {
    const s = settings({ KAFKA_BROKERS: 'k1:9092,k2:9092', SCHEMA_REGISTRY_URL: 'http://r:8080', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', ROUNDHOUSE_TOPIC_PREFIX: 'stg.' });
    expect(s.trainerEnv).toEqual({ KAFKA_BROKERS: 'k1:9092,k2:9092', KAFKA_SSL: 'false', SCHEMA_REGISTRY_URL: 'http://r:8080', ROUNDHOUSE_TOPIC_PREFIX: 'stg.', LOG_LEVEL: 'info' });
    expect(s.app.groupId).toBe('stg.roundhouse-dispatcher');
  });

  it('for an s3:// root, passes the root, endpoint, region and S3 tuning, and credentials only as Secret references', () => {
    const env = {
      KUBECONFIG: '/k',
      ARTIFACT_ROOT: 's3://roundhouse/prod/',
      ROUNDHOUSE_S3_ENDPOINT: 'http://seaweedfs:8333',
      AWS_REGION: 'eu-west-1',
      ROUNDHOUSE_S3_PART_SIZE_MB: '16',
      AWS_ACCESS_KEY_ID: 'AKIA-dispatcher-own',
      AWS_SECRET_ACCESS_KEY: 'dispatcher-secret',
      DISPATCHER_S3_CREDENTIALS_SECRET: 'roundhouse-s3',
    };
    const s = settings(env);
    expect(s.trainerEnv).toEqual({
      LOG_LEVEL: 'info',
      ARTIFACT_ROOT: 's3://roundhouse/prod/',
      ROUNDHOUSE_S3_ENDPOINT: 'http://seaweedfs:8333',
      AWS_REGION: 'eu-west-1',
      ROUNDHOUSE_S3_FORCE_PATH_STYLE: 'true',
      ROUNDHOUSE_S3_MAX_ATTEMPTS: '5',
      ROUNDHOUSE_S3_PART_SIZE_MB: '16',
    });
    expect(JSON.stringify(s)).not.toContain('dispatcher-secret');
    expect(JSON.stringify(s)).not.toContain('AKIA-dispatcher-own');
    expect(s.kubernetes.trainerSecretEnv).toEqual([
      { name: 'AWS_ACCESS_KEY_ID', secretName: 'roundhouse-s3', key: 'AWS_ACCESS_KEY_ID', optional: false },
      { name: 'AWS_SECRET_ACCESS_KEY', secretName: 'roundhouse-s3', key: 'AWS_SECRET_ACCESS_KEY', optional: false },
      { name: 'AWS_SESSION_TOKEN', secretName: 'roundhouse-s3', key: 'AWS_SESSION_TOKEN', optional: true },
    ]);
    // A file:// root needs none of it.
    expect(settings({ KUBECONFIG: '/k', ROUNDHOUSE_S3_ENDPOINT: 'http://seaweedfs:8333' }).trainerEnv).toEqual({ LOG_LEVEL: 'info' });
    expect(settings({ KUBECONFIG: '/k' }).kubernetes.trainerSecretEnv).toEqual([]);
  });

  it('reads durations, limits, trainer identity and the local command', () => {
    const s = settings({
      DISPATCHER_RESYNC_INTERVAL: '10s',
      DISPATCHER_LOST_JOB_GRACE: '5m',
      DISPATCHER_MAX_CONCURRENT_RUNS: '3',
      DISPATCHER_TRAINER_SERVICE_ACCOUNT: 'roundhouse-trainer',
      DISPATCHER_TRAINER_ENV_SECRET: 'trainer-credentials',
      DISPATCHER_LOCAL_COMMAND: 'npx tsx services/trainer/main.ts',
    });
    expect(s.app).toMatchObject({ resyncIntervalMs: 10_000, lostJobGraceMs: 300_000, maxConcurrentRuns: 3 });
    expect(s.kubernetes).toMatchObject({ trainerServiceAccount: 'roundhouse-trainer', trainerEnvSecret: 'trainer-credentials' });
    expect(s.local.command).toEqual(['npx', 'tsx', 'services/trainer/main.ts']);
  });

  it('reports every problem with its variable', () => {
    let thrown: unknown;
    try {
      settings({ DISPATCHER_RESYNC_INTERVAL: 'soon', DISPATCHER_MAX_CONCURRENT_RUNS: '0', DISPATCHER_EXECUTOR: 'docker' });
    } catch (error) {
      thrown = error;
    }
    expect(errorCode(thrown)).toBe('CONFIG_INVALID');
    const message = (thrown as Error).message;
    expect(message).toContain('DISPATCHER_RESYNC_INTERVAL');
    expect(message).toContain('DISPATCHER_MAX_CONCURRENT_RUNS');
    expect(message).toContain('DISPATCHER_EXECUTOR');
  });

  it('refuses the Kubernetes executor without a way to reach a cluster', () => {
    expect(() => settings({ DISPATCHER_EXECUTOR: 'kubernetes' })).toThrow(/KUBECONFIG/);
  });
});
