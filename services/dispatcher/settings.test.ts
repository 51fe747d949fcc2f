import { loadConfig } from '../../lib/config';
import { errorCode } from '../../lib/errors';
import { loadDispatcherSettings } from './settings';

const settings = (env: Record<string, string>) => loadDispatcherSettings(env, loadConfig(env));

describe('loadDispatcherSettings', () => {
  it('defaults to the local executor and sensible limits', () => {
    const s = settings({ DISPATCHER_API_TOKENS: 'ci:read+submit:ci-token-0123456789, alice:override:alice-token-0123456789' });
    expect(s.executor).toBe('local');
    expect(s.app).toEqual({
      groupId: 'roundhouse-dispatcher',
      maxConcurrentRuns: 10,
      resyncIntervalMs: 30_000,
      lostJobGraceMs: 120_000,
      pinTimeoutMs: 5000,
      artifactRoot: 'file://./artifacts',
      apiTokens: [
        { name: 'ci', scopes: ['read', 'submit'], token: 'ci-token-0123456789' },
        { name: 'alice', scopes: ['override'], token: 'alice-token-0123456789' },
      ],
    });
    expect(Object.isFrozen(s.app)).toBe(true);
    expect(Object.isFrozen(s.app.apiTokens[0])).toBe(true);
  });

  it('refuses bare tokens and unknown scopes, naming the entry and never the token', () => {
    let message = '';
    try {
      settings({ DISPATCHER_API_TOKENS: 'bare-secret-token-0123456789,ci:admin:ci-secret-token-0123456789' });
    } catch (error) {
      expect(errorCode(error)).toBe('CONFIG_INVALID');
      message = (error as Error).message;
    }
    expect(message).toContain('DISPATCHER_API_TOKENS: entry 1: expected name:scope+scope:token');
    expect(message).toContain('DISPATCHER_API_TOKENS: entry 2 ("ci"): unknown scope(s) "admin"');
    expect(message).not.toContain('secret');
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

  it('never copies registry credentials embedded in SCHEMA_REGISTRY_URL into the trainer env (issue 14)', () => {
    const s = settings({ KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'https://svc:s3cret@registry.example/apis/ccompat/v7' });
    expect(s.trainerEnv.SCHEMA_REGISTRY_URL).toBe('https://registry.example/apis/ccompat/v7');
    expect(JSON.stringify(s.trainerEnv)).not.toContain('s3cret');
    expect(JSON.stringify(s.local.env)).not.toContain('s3cret');
  });

  it('references single trainer credentials in Secrets, and sets the trainer uid', () => {
    const s = settings({ KUBECONFIG: '/k', DISPATCHER_TRAINER_SECRET_REFS: 'SCHEMA_REGISTRY_USERNAME=trainer-registry/username, SCHEMA_REGISTRY_PASSWORD=trainer-registry/password', DISPATCHER_TRAINER_UID: '20000' });
    expect(s.kubernetes.trainerSecretEnv).toEqual([
      { name: 'SCHEMA_REGISTRY_USERNAME', secretName: 'trainer-registry', key: 'username', optional: false },
      { name: 'SCHEMA_REGISTRY_PASSWORD', secretName: 'trainer-registry', key: 'password', optional: false },
    ]);
    expect(s.kubernetes.trainerUid).toBe(20000);
    expect(settings({ KUBECONFIG: '/k' }).kubernetes).toMatchObject({ trainerSecretEnv: [], trainerUid: 10001 });
    expect(() => settings({ KUBECONFIG: '/k', DISPATCHER_TRAINER_SECRET_REFS: 'PASSWORD=no-key' })).toThrow(/DISPATCHER_TRAINER_SECRET_REFS: expected NAME=secret\/key/);
    expect(() => settings({ KUBECONFIG: '/k', DISPATCHER_TRAINER_UID: '0' })).toThrow(/DISPATCHER_TRAINER_UID/);
  });

  it("gives local trainers an allowlist of the dispatcher's environment, never its tokens or credentials (issue 14)", () => {
    const s = settings({
      PATH: '/usr/bin',
      HOME: '/home/rh',
      KAFKA_BROKERS: 'k:9092',
      SCHEMA_REGISTRY_URL: 'http://r:8080',
      KAFKA_SASL_USERNAME: 'dispatcher',
      KAFKA_SASL_PASSWORD: 'dispatcher-password',
      DISPATCHER_API_TOKENS: 'ci:read+submit:ci-token-0123456789',
      DISPATCHER_LOCAL_TRAINER_ENV_KAFKA_SASL_USERNAME: 'trainer',
      DISPATCHER_LOCAL_TRAINER_ENV_KAFKA_SASL_PASSWORD: 'trainer-password',
    });
    expect(s.local.env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/rh',
      KAFKA_BROKERS: 'k:9092',
      KAFKA_SSL: 'false',
      SCHEMA_REGISTRY_URL: 'http://r:8080',
      LOG_LEVEL: 'info',
      KAFKA_SASL_USERNAME: 'trainer',
      KAFKA_SASL_PASSWORD: 'trainer-password',
    });
    expect(Object.isFrozen(s.local.env)).toBe(true);
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
    // The S3 Secret's references come first, then DISPATCHER_TRAINER_SECRET_REFS.
    expect(settings({ ...env, DISPATCHER_TRAINER_SECRET_REFS: 'SCHEMA_REGISTRY_PASSWORD=trainer-registry/password' }).kubernetes.trainerSecretEnv.map((v) => v.name)).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'SCHEMA_REGISTRY_PASSWORD',
    ]);
    // The local trainer's allowlist leaves out the dispatcher's own S3 identity too.
    expect(settings({ ...env, DISPATCHER_EXECUTOR: 'local' }).local.env).not.toHaveProperty('AWS_ACCESS_KEY_ID');
  });

  it('refuses a trainer variable referenced from two Secret keys, naming it', () => {
    expect(() =>
      settings({ KUBECONFIG: '/k', ARTIFACT_ROOT: 's3://b/', DISPATCHER_S3_CREDENTIALS_SECRET: 'roundhouse-s3', DISPATCHER_TRAINER_SECRET_REFS: 'AWS_SECRET_ACCESS_KEY=other/key' }),
    ).toThrow(/DISPATCHER_TRAINER_SECRET_REFS: AWS_SECRET_ACCESS_KEY is already referenced through DISPATCHER_S3_CREDENTIALS_SECRET/);
    expect(() => settings({ KUBECONFIG: '/k', DISPATCHER_TRAINER_SECRET_REFS: 'A=s/a,A=s/b' })).toThrow(/DISPATCHER_TRAINER_SECRET_REFS: A is listed more than once/);
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

  it('elects a leader on a Lease in a cluster, and is the only process (always leader) without one', () => {
    expect(settings({}).leader).toMatchObject({ mode: 'none' });
    expect(settings({ KUBECONFIG: '/k', KUBERNETES_NAMESPACE: 'rh', ROUNDHOUSE_TOPIC_PREFIX: 'team-a.' }).leader).toEqual({
      mode: 'lease',
      leaseName: 'team-a.roundhouse-dispatcher',
      leaseNamespace: 'rh',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    const s = settings({ KUBERNETES_SERVICE_HOST: '10.96.0.1', DISPATCHER_LEASE_NAME: 'rh-dispatcher', DISPATCHER_LEASE_DURATION: '30s', DISPATCHER_ADVERTISE_URL: 'http://10.0.0.7:8080' });
    expect(s.leader).toMatchObject({ mode: 'lease', leaseName: 'rh-dispatcher', leaseDurationMs: 30_000 });
    expect(s.advertiseUrl).toBe('http://10.0.0.7:8080');
    expect(settings({}).advertiseUrl).toBeNull();
  });

  it('reports leader election problems with the others, each with its variable', () => {
    let message = '';
    try {
      settings({ KUBECONFIG: '/k', DISPATCHER_MAX_CONCURRENT_RUNS: '0', DISPATCHER_LEASE_RENEW_DEADLINE: '20s', DISPATCHER_ADVERTISE_URL: 'ftp://x' });
    } catch (error) {
      expect(errorCode(error)).toBe('CONFIG_INVALID');
      message = (error as Error).message;
    }
    expect(message).toContain('DISPATCHER_MAX_CONCURRENT_RUNS');
    expect(message).toContain('DISPATCHER_ADVERTISE_URL');
    expect(message).toContain('DISPATCHER_LEASE_RENEW_DEADLINE: with DISPATCHER_LEASE_RETRY_PERIOD it must stay under DISPATCHER_LEASE_DURATION');
    expect(() => settings({ DISPATCHER_ADVERTISE_URL: 'http://user:pw@10.0.0.7:8080' })).toThrow(/DISPATCHER_ADVERTISE_URL: must not carry credentials/);
  });
});
