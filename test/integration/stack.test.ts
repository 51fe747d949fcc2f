/**
 * Smoke test of the stack every integration suite relies on: a real broker that
 * takes topics, plain and transactional writes, and a registry that the kafkajs
 * schema-registry client can register with and encode/decode through.
 */
import { randomBytes } from 'node:crypto';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, Partitioners, type Consumer, type KafkaMessage } from 'kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter((b) => b !== '');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? '';
const unique = (prefix: string): string => `${prefix}-${randomBytes(6).toString('hex')}`;
const kafka = new Kafka({ clientId: 'stack-smoke', brokers, logLevel: logLevel.WARN });

// The integration project's `testTimeout` in jest.config.js is ignored by Jest 30
// (jest-circus reads only the global one), so say it here.
jest.setTimeout(120_000);

/** Resolves once `predicate` holds; rejects at the deadline, saying what was awaited. */
async function eventually(what: string, predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function createTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
  } finally {
    await admin.disconnect();
  }
}

/** Subscribes from the beginning and collects every message value it sees. */
async function collect(topic: string, opts: { readUncommitted: boolean }): Promise<{ values: string[]; consumer: Consumer }> {
  // A short fetch wait: disconnect() waits for the fetch in flight (default 5 s).
  const consumer = kafka.consumer({ groupId: unique('stack-smoke'), readUncommitted: opts.readUncommitted, maxWaitTimeInMs: 200 });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }: { message: KafkaMessage }) => {
      values.push(message.value?.toString('utf8') ?? '<null>');
    },
  });
  return { values, consumer };
}

describe('local test stack', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('exports both endpoints', () => {
    expect(brokers.length).toBeGreaterThan(0);
    expect(registryUrl).toMatch(/^http:\/\/.+\/apis\/ccompat\/v7$/);
  });

  it('produces and consumes a message on an explicitly created topic', async () => {
    const topic = unique('stack-smoke');
    await createTopic(topic);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    await producer.send({ topic, messages: [{ key: 'k', value: 'hello' }] });

    const { values, consumer } = await collect(topic, { readUncommitted: false });
    cleanup.push(() => consumer.disconnect());
    await eventually('the produced message', () => values.length > 0);
    expect(values).toEqual(['hello']);
  });

  it('refuses to auto-create topics', async () => {
    const quiet = new Kafka({ clientId: 'stack-smoke', brokers, logLevel: logLevel.NOTHING });
    const producer = quiet.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 1 } });
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    await expect(producer.send({ topic: unique('never-created'), messages: [{ value: 'x' }] })).rejects.toThrow(
      /does not host this topic-partition/,
    );
  });

  it('commits transactions that a read_committed consumer sees, and hides aborted ones', async () => {
    const topic = unique('stack-txn');
    await createTopic(topic);
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId: unique('stack-txn'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    cleanup.push(() => producer.disconnect());

    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ value: 'committed' }] });
    await committed.commit();

    // The aborted record precedes the committed one in the log, so once the
    // committed one arrives the aborted one would have been delivered too.
    const { values, consumer } = await collect(topic, { readUncommitted: false });
    cleanup.push(() => consumer.disconnect());
    await eventually('the committed message', () => values.includes('committed'));
    expect(values).toEqual(['committed']);
  });

  it('registers an Avro schema and round-trips a record through the registry', async () => {
    const registry = new SchemaRegistry({ host: registryUrl });
    const subject = unique('stack-smoke-value');
    const schema = JSON.stringify({
      type: 'record',
      name: 'StackSmoke',
      namespace: 'dev.roundhouse.test',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'score', type: 'double' },
      ],
    });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject });
    expect(await registry.getLatestSchemaId(subject)).toBe(id);

    const encoded = await registry.encode(id, { id: 'txn-1', score: 0.25 });
    expect(encoded.readUInt8(0)).toBe(0); // Confluent wire format: magic byte, then the id
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await registry.decode(encoded)).toEqual({ id: 'txn-1', score: 0.25 });
  });
});
