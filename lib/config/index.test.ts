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
});
