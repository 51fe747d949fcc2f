import { configProblems, loadConfig } from './index';
import { errorCode } from '../errors';

describe('loadConfig', () => {
  it('applies defaults and leaves Kafka unset when no broker is configured (embedded mode)', () => {
    const config = loadConfig({});
    expect(config.kafka).toBeUndefined();
    expect(config.schemaRegistry).toBeUndefined();
    expect(config.metrics.port).toBe(9464);
    expect(config.catalogPath).toBe('config/catalog.yaml');
  });

  it('parses brokers, registry and tokens', () => {
    const config = loadConfig({
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8080/apis/ccompat/v7',
      DISPATCHER_API_TOKENS: 'a,b',
      METRICS_PORT: '0',
    });
    expect(config.kafka?.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(config.schemaRegistry?.url).toBe('http://127.0.0.1:8080/apis/ccompat/v7');
    expect(config.dispatcher.apiTokens).toEqual(['a', 'b']);
    expect(config.metrics.port).toBe(0);
  });

  it('reads the consumer session timeout, bounded as the broker bounds it by default', () => {
    const kafka = { KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://r:8080' };
    expect(loadConfig(kafka).kafka?.sessionTimeoutMs).toBeUndefined();
    expect(loadConfig({ ...kafka, KAFKA_SESSION_TIMEOUT_MS: '10000' }).kafka?.sessionTimeoutMs).toBe(10_000);
    for (const [value, message] of [
      ['500', 'must be at least 1000 (ms) (got "500")'],
      ['3600000', 'must be at most 1800000 (30 min, the broker\'s default group.max.session.timeout.ms) (got "3600000")'],
      ['10s', '(got "10s")'],
    ] as const) {
      let thrown: unknown;
      try {
        loadConfig({ ...kafka, KAFKA_SESSION_TIMEOUT_MS: value });
      } catch (err) {
        thrown = err;
      }
      expect(configProblems(thrown)).toEqual([{ variable: 'KAFKA_SESSION_TIMEOUT_MS', message: expect.stringContaining(message) }]);
    }
  });

  it('is frozen all the way down', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://r:8080' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka)).toBe(true);
    expect(Object.isFrozen(config.kafka?.brokers)).toBe(true);
  });

  it('reports every problem at once, each naming its variable', () => {
    let thrown: unknown;
    try {
      loadConfig({
        KAFKA_BROKERS: 'no-port',
        METRICS_PORT: '70000',
        LOG_LEVEL: 'chatty',
        KAFKA_SASL_USERNAME: 'svc',
        KUBERNETES_NAMESPACE: 'Bad_Name',
      });
    } catch (err) {
      thrown = err;
    }
    expect(errorCode(thrown)).toBe('CONFIG_INVALID');
    const variables = configProblems(thrown).map((p) => p.variable).sort();
    expect(variables).toEqual([
      'KAFKA_BROKERS',
      'KAFKA_SASL_PASSWORD',
      'KUBERNETES_NAMESPACE',
      'LOG_LEVEL',
      'METRICS_PORT',
      'SCHEMA_REGISTRY_URL',
    ]);
    expect((thrown as Error).message).toContain('METRICS_PORT');
  });

  it('reads the S3 settings: endpoint, region, path style, retries and part size', () => {
    expect(loadConfig({}).s3).toEqual({ endpoint: undefined, region: undefined, forcePathStyle: false, maxAttempts: 5, partSizeBytes: 8 * 1024 * 1024 });
    expect(loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:8333', AWS_DEFAULT_REGION: 'eu-west-1' }).s3).toMatchObject({
      endpoint: 'http://127.0.0.1:8333',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    const s3 = loadConfig({
      ROUNDHOUSE_S3_ENDPOINT: 'https://s3.example.internal',
      AWS_ENDPOINT_URL_S3: 'http://ignored:1',
      AWS_REGION: 'us-west-2',
      ROUNDHOUSE_S3_FORCE_PATH_STYLE: 'false',
      ROUNDHOUSE_S3_MAX_ATTEMPTS: '3',
      ROUNDHOUSE_S3_PART_SIZE_MB: '16',
    }).s3;
    expect(s3).toEqual({ endpoint: 'https://s3.example.internal', region: 'us-west-2', forcePathStyle: false, maxAttempts: 3, partSizeBytes: 16 * 1024 * 1024 });
    let thrown: unknown;
    try {
      loadConfig({ ROUNDHOUSE_S3_ENDPOINT: 'not a url', ROUNDHOUSE_S3_PART_SIZE_MB: '1', ROUNDHOUSE_S3_FORCE_PATH_STYLE: 'yes' });
    } catch (err) {
      thrown = err;
    }
    expect(configProblems(thrown).map((p) => p.variable).sort()).toEqual(['ROUNDHOUSE_S3_ENDPOINT', 'ROUNDHOUSE_S3_FORCE_PATH_STYLE', 'ROUNDHOUSE_S3_PART_SIZE_MB']);
  });
});
