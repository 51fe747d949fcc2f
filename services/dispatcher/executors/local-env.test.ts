import { passesToTrainer, trainerProcessEnv, withoutCredentials } from './local-env';

describe('trainerProcessEnv: what a local trainer gets of the dispatcher environment', () => {
  const dispatcher = {
    PATH: '/usr/bin',
    HOME: '/home/rh',
    TMPDIR: '/tmp',
    LANG: 'C.UTF-8',
    LC_ALL: 'C',
    NODE_OPTIONS: '--max-old-space-size=512',
    NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
    KAFKA_BROKERS: 'k:9092',
    KAFKA_SSL: 'true',
    KAFKA_SASL_USERNAME: 'dispatcher',
    KAFKA_SASL_PASSWORD: 'dispatcher-secret',
    SCHEMA_REGISTRY_URL: 'https://dispatcher:registry-secret@registry.example/apis/ccompat/v7',
    SCHEMA_REGISTRY_PASSWORD: 'registry-secret',
    ROUNDHOUSE_TOPIC_PREFIX: 'stg.',
    ROUNDHOUSE_INSTANCE_ID: 'dispatcher-0',
    ROUNDHOUSE_API_TOKEN: 'cli-secret',
    ARTIFACT_ROOT: 'file:///data',
    AWS_REGION: 'eu-west-1',
    AWS_SECRET_ACCESS_KEY: 'aws-secret',
    LOG_LEVEL: 'info',
    DISPATCHER_API_TOKENS: 'ci:read:token-secret-0123456789',
    DISPATCHER_TRAINER_ENV_SECRET: 'trainer-credentials',
    GITHUB_TOKEN: 'gh-secret',
    SOMETHING_ELSE: 'x',
    DISPATCHER_LOCAL_TRAINER_ENV_KAFKA_SASL_USERNAME: 'trainer',
    DISPATCHER_LOCAL_TRAINER_ENV_KAFKA_SASL_PASSWORD: 'trainer-password',
  };

  it('passes the allowlist, without credentials, and maps DISPATCHER_LOCAL_TRAINER_ENV_*', () => {
    expect(trainerProcessEnv(dispatcher)).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/rh',
      TMPDIR: '/tmp',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      NODE_OPTIONS: '--max-old-space-size=512',
      NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
      KAFKA_BROKERS: 'k:9092',
      KAFKA_SSL: 'true',
      SCHEMA_REGISTRY_URL: 'https://registry.example/apis/ccompat/v7',
      ROUNDHOUSE_TOPIC_PREFIX: 'stg.',
      ARTIFACT_ROOT: 'file:///data',
      AWS_REGION: 'eu-west-1',
      LOG_LEVEL: 'info',
      KAFKA_SASL_USERNAME: 'trainer',
      KAFKA_SASL_PASSWORD: 'trainer-password',
    });
    expect(JSON.stringify(trainerProcessEnv(dispatcher))).not.toMatch(/dispatcher-secret|registry-secret|token-secret|cli-secret|aws-secret|gh-secret/);
  });

  it.each(['DISPATCHER_API_TOKENS', 'KAFKA_SASL_PASSWORD', 'SCHEMA_REGISTRY_PASSWORD', 'KAFKA_SASL_USERNAME', 'ROUNDHOUSE_API_TOKEN', 'ROUNDHOUSE_INSTANCE_ID', 'AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN', 'KAFKA_SSL_KEY_PASSWORD', 'HOSTNAME', 'KUBECONFIG'])('never passes %s as it is', (name) => {
    expect(passesToTrainer(name)).toBe(false);
  });

  it('strips user:password from URLs and leaves others alone', () => {
    expect(withoutCredentials('https://u:p@r.example:8081/x')).toBe('https://r.example:8081/x');
    expect(withoutCredentials('http://r:8080')).toBe('http://r:8080');
    expect(withoutCredentials('not a url')).toBe('not a url');
  });
});
