import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaEventBus, createKafkaClient } from '../../lib/kafka';
import { silentLogger } from '../../lib/log';
import { ConfluentSchemaRegistryClient } from '../../lib/codec';

/** Integration helpers: the stack's addresses, unique names, and polling waits (never sleeps). */

export function stackEnv(): { brokers: string[]; registryUrl: string } {
  const brokers = process.env.KAFKA_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL;
  if (!brokers || !registryUrl) {
    throw new Error('KAFKA_BROKERS and SCHEMA_REGISTRY_URL are not set: run through `npm test` (the jest global setup starts the stack)');
  }
  return { brokers: brokers.split(','), registryUrl };
}

export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export function kafkaClient(clientId = uniqueName('test')): Kafka {
  return createKafkaClient({ brokers: stackEnv().brokers, clientId, logger: silentLogger() });
}

/** A bare kafkajs client for test-side producers/consumers that must not go through our code. */
export function rawKafka(): Kafka {
  return new Kafka({ brokers: stackEnv().brokers, clientId: uniqueName('raw'), logLevel: logLevel.NOTHING });
}

export function kafkaBus(partitions = 1): KafkaEventBus {
  return new KafkaEventBus(kafkaClient(), { logger: silentLogger(), defaultPartitions: partitions, replicationFactor: 1 });
}

export function registryClient(): ConfluentSchemaRegistryClient {
  return new ConfluentSchemaRegistryClient({ url: stackEnv().registryUrl });
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Read every committed message currently on a topic (from the beginning), with a throwaway group. */
export async function readAll(
  topic: string,
  expected: number,
  options: { readUncommitted?: boolean; timeoutMs?: number } = {},
): Promise<{ key: string | null; value: Buffer | null; headers: Record<string, string>; offset: string; partition: number }[]> {
  const consumer = rawKafka().consumer({ groupId: uniqueName('reader'), readUncommitted: options.readUncommitted ?? false });
  const seen: { key: string | null; value: Buffer | null; headers: Record<string, string>; offset: string; partition: number }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = v.toString();
        seen.push({ key: message.key?.toString() ?? null, value: message.value, headers, offset: message.offset, partition });
      },
    });
    await waitFor(() => seen.length >= expected, `${expected} message(s) on ${topic}`, options.timeoutMs ?? 30_000);
    return seen;
  } finally {
    await consumer.disconnect();
  }
}
