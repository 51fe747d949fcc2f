/**
 * The same stack in Docker, for laptops that have it (ROUNDHOUSE_STACK=testcontainers).
 * Cannot run on CI machines (no Docker engine); keep it small and type-checked.
 */
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import type { StackEnvKey } from './component';
import { APICURIO_VERSION } from './apicurio';
import { KAFKA_VERSION } from './kafka-config';
import { PortAllocator, type Log } from './util';

export async function startContainers(
  names: readonly string[],
  log: Log,
): Promise<{ env: Partial<Record<StackEnvKey, string>>; stop: () => Promise<void> }> {
  const containers: StartedTestContainer[] = [];
  const env: Partial<Record<StackEnvKey, string>> = {};
  const stop = async (): Promise<void> => {
    await Promise.all(containers.map((c) => c.stop()));
  };
  try {
    if (names.includes('kafka')) {
      // The advertised address must be known before start, so the broker listens
      // inside the container on the same port number it is published on.
      const port = await new PortAllocator().next();
      log(`starting apache/kafka:${KAFKA_VERSION} in Docker on localhost:${port}`);
      const kafka = await new GenericContainer(`apache/kafka:${KAFKA_VERSION}`)
        .withExposedPorts({ container: port, host: port })
        .withEnvironment({
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${port},CONTROLLER://0.0.0.0:9093`,
          KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://localhost:${port}`,
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        })
        .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
        .start();
      containers.push(kafka);
      env.KAFKA_BROKERS = `localhost:${port}`;
    }
    if (names.includes('apicurio')) {
      log(`starting apicurio/apicurio-registry:${APICURIO_VERSION} in Docker`);
      const registry = await new GenericContainer(`apicurio/apicurio-registry:${APICURIO_VERSION}`)
        .withExposedPorts(8080)
        .withEnvironment({ APICURIO_RULES_GLOBAL_COMPATIBILITY: 'BACKWARD', APICURIO_CCOMPAT_LEGACY_ID_MODE_ENABLED: 'false' })
        .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
        .start();
      containers.push(registry);
      env.SCHEMA_REGISTRY_URL = `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { env, stop };
}
