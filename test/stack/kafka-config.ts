/** Pure builders for the single-node KRaft broker: the Maven pom and server.properties. */
import { randomBytes } from 'node:crypto';

export const KAFKA_VERSION = '4.1.2';
// The log4j 2.x that kafka-server 4.1.2 itself depends on (mvn dependency:tree);
// the slf4j binding must match it or the broker logs nothing.
export const LOG4J_VERSION = '2.25.3';

/** A throwaway pom whose runtime dependencies are the broker's classpath. */
export function kafkaPom(): string {
  const dep = (group: string, artifact: string, version: string): string =>
    `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>dev.roundhouse.stack</groupId><artifactId>kafka-libs</artifactId><version>1</version><packaging>pom</packaging>',
    '  <dependencies>',
    dep('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION),
    dep('org.apache.logging.log4j', 'log4j-api', LOG4J_VERSION),
    dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION),
    dep('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding, as `StorageTool
 * random-uuid` prints. Like Kafka's Uuid.randomUuid we reject ids starting with
 * '-', which the tool's argument parser would read as a flag.
 */
export function newClusterId(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = random().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface BrokerLayout {
  readonly brokerPort: number;
  readonly controllerPort: number;
  readonly dataDir: string;
}

/** server.properties for one process that is both broker and controller, on 127.0.0.1 only. */
export function serverProperties(layout: BrokerLayout): string {
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    // Static voters: `StorageTool format` then needs no --standalone flag.
    'controller.quorum.voters': `1@127.0.0.1:${layout.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${layout.brokerPort},CONTROLLER://127.0.0.1:${layout.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${layout.brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': layout.dataDir,
    // One node: every internal topic must accept replication factor 1, or
    // consumer groups and transactions wait forever for replicas.
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    // Fewer internal partitions: faster first group join and InitProducerId.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.num.partitions': 10,
    'num.partitions': 1,
    // Tests create their topics explicitly; a typo must fail, not invent a topic.
    'auto.create.topics.enable': 'false',
    // Otherwise the first consumer of every group idles 3 s before its assignment.
    'group.initial.rebalance.delay.ms': 0,
  };
  return `${Object.entries(props)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}
