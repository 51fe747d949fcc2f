/** The harness's pure parts: version parsing, broker config, ids, shell exports. */
import { parseJavaVersion } from './java';
import { newClusterId, serverProperties } from './kafka-config';
import { exportLines } from './state';

describe('parseJavaVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', { version: '17.0.15', major: 17 }],
    ['openjdk version "21" 2023-09-19', { version: '21', major: 21 }],
    ['openjdk version "25.0.3" 2026-04-21 LTS', { version: '25.0.3', major: 25 }],
    ['java version "1.8.0_392"', { version: '1.8.0_392', major: 8 }],
    ['openjdk version "22-ea" 2024-03-19', { version: '22-ea', major: 22 }],
  ])('%s', (text, expected) => {
    expect(parseJavaVersion(text)).toEqual(expected);
  });

  it('returns undefined for output without a version', () => {
    expect(parseJavaVersion('bash: java: command not found')).toBeUndefined();
  });
});

describe('serverProperties', () => {
  const props = Object.fromEntries(
    serverProperties({ brokerPort: 1111, controllerPort: 2222, dataDir: '/d' })
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );

  it('binds only 127.0.0.1 and advertises the broker listener alone', () => {
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:1111,CONTROLLER://127.0.0.1:2222');
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:1111');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:2222');
  });

  it('sets what a single node needs for groups and transactions', () => {
    expect(props).toMatchObject({
      'process.roles': 'broker,controller',
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
      'auto.create.topics.enable': 'false',
      'log.dirs': '/d',
    });
  });
});

describe('newClusterId', () => {
  it('is 22 base64url characters', () => {
    expect(newClusterId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('never starts with "-", which the storage tool would read as a flag', () => {
    const dash = Buffer.from('+8'.padEnd(24, 'A'), 'base64'); // base64url of this starts with '-'
    const draws = [dash.subarray(0, 16), Buffer.alloc(16, 1)];
    expect(dash.subarray(0, 16).toString('base64url').startsWith('-')).toBe(true);
    expect(newClusterId(() => draws.shift() ?? Buffer.alloc(16))).toBe(Buffer.alloc(16, 1).toString('base64url'));
  });
});

describe('exportLines', () => {
  it('quotes values for eval in a POSIX shell', () => {
    expect(exportLines({ KAFKA_BROKERS: '127.0.0.1:9092', SCHEMA_REGISTRY_URL: "http://x/it's" })).toBe(
      "export KAFKA_BROKERS='127.0.0.1:9092'\nexport SCHEMA_REGISTRY_URL='http://x/it'\\''s'\n",
    );
  });
});
