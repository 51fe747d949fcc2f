import { createBatchProcessor } from '../../lib/bus/processor';
import { DLQ_HEADERS } from '../../lib/bus/dlq';
import { AvroCodec } from '../../lib/codec';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import { kafkaBus, readAll, registryClient, uniqueName, waitFor } from '../helpers';

interface Payment {
  readonly id: string;
  readonly amount: number;
}

const paymentSchema = (name: string) => ({
  type: 'record',
  name,
  namespace: 'dev.roundhouse.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
});

function validatePayment(value: unknown): Payment {
  const v = value as Payment;
  if (v.amount < 0) throw new RoundhouseError(ErrorCodes.VALIDATION, `amount must be >= 0, got ${v.amount}`, { context: { field: 'amount' } });
  return { id: v.id, amount: v.amount };
}

describe('consumer runner: poison messages go to the DLQ and the consumer carries on', () => {
  it('dead-letters garbage bytes, unknown schema ids, corrupt bodies and invalid records, with headers', async () => {
    const topic = uniqueName('payments');
    const groupId = uniqueName('payments-group');
    const bus = kafkaBus();
    await bus.ensureTopics([{ name: topic, partitions: 1 }, { name: `${topic}.dlq`, partitions: 1 }]);
    const schema = paymentSchema(`Payment_${topic.replace(/-/g, '_')}`);

    const producerCodec = new AvroCodec(registryClient());
    const writer = await producerCodec.writer<Payment>(`${topic}-value`, schema);
    const good1 = writer.encode({ id: 'p1', amount: 10 });
    const invalid = writer.encode({ id: 'p2', amount: -5 });
    const unknownId = Buffer.from(good1);
    unknownId.writeUInt32BE(2_000_000_000, 1);
    const corrupt = good1.subarray(0, good1.length - 4);
    const garbage = Buffer.from('definitely not avro');
    const good2 = writer.encode({ id: 'p3', amount: 20 });
    const sequence = [good1, garbage, unknownId, corrupt, invalid, good2];
    await bus.publish(sequence.map((value, i) => ({ topic, key: `k${i}`, value })));

    const consumerCodec = new AvroCodec(registryClient());
    const reader = consumerCodec.reader(schema, validatePayment);
    const processed: Payment[] = [];
    const subscription = await bus.subscribe({
      groupId,
      topics: [topic],
      onBatch: createBatchProcessor({
        name: 'payments',
        groupId,
        prepare: (messages) => consumerCodec.prepare(messages.map((m) => m.value)),
        decode: (message) => reader.decode(message.value),
        handle: async (records) => {
          processed.push(...records.map((r) => r.value));
        },
      }),
    });
    try {
      await waitFor(() => processed.length === 2, 'the two good payments');
      expect(processed).toEqual([
        { id: 'p1', amount: 10 },
        { id: 'p3', amount: 20 },
      ]);
      const dead = await readAll(`${topic}.dlq`, 4);
      const byKey = Object.fromEntries(dead.map((m) => [m.key, m]));
      const expectations: [string, number, string][] = [
        ['k1', 1, 'DECODE_MAGIC_BYTE'],
        ['k2', 2, 'DECODE_UNKNOWN_SCHEMA'],
        ['k3', 3, 'DECODE_BODY'],
        ['k4', 4, 'VALIDATION'],
      ];
      for (const [key, offset, code] of expectations) {
        const message = byKey[key];
        expect(message).toBeDefined();
        expect(message!.value).toEqual(sequence[offset]);
        expect(message!.headers).toMatchObject({
          [DLQ_HEADERS.sourceTopic]: topic,
          [DLQ_HEADERS.sourcePartition]: '0',
          [DLQ_HEADERS.sourceOffset]: String(offset),
          [DLQ_HEADERS.errorCode]: code,
          [DLQ_HEADERS.consumerGroup]: groupId,
        });
        expect(message!.headers[DLQ_HEADERS.errorMessage]!.length).toBeGreaterThan(5);
      }
      expect(byKey.k2!.headers[DLQ_HEADERS.errorMessage]).toContain('2000000000');
      expect(byKey.k4!.headers[DLQ_HEADERS.errorMessage]).toContain('amount must be >= 0');
    } finally {
      await subscription.stop();
      await bus.close();
    }
  });
});

describe('schema registry', () => {
  it('refuses a BACKWARD-incompatible new version of a subject', async () => {
    const registry = registryClient();
    const subject = `${uniqueName('compat')}-value`;
    const v1 = paymentSchema('Compat');
    const compatible = { ...v1, fields: [...v1.fields, { name: 'currency', type: ['null', 'string'], default: null }] };
    const incompatible = { ...v1, fields: [...v1.fields, { name: 'merchant', type: 'string' }] };

    const id1 = await registry.register(subject, JSON.stringify(v1));
    const id2 = await registry.register(subject, JSON.stringify(compatible));
    expect(id2).not.toBe(id1);
    await expect(registry.register(subject, JSON.stringify(incompatible))).rejects.toMatchObject({ code: 'SCHEMA_INCOMPATIBLE' });
    // Registering the same schema again is idempotent.
    expect(await registry.register(subject, JSON.stringify(v1))).toBe(id1);
  });

  it('reports an unknown schema id as a non-retriable DECODE_UNKNOWN_SCHEMA', async () => {
    await expect(registryClient().schemaById(1_999_999_999)).rejects.toMatchObject({ code: 'DECODE_UNKNOWN_SCHEMA', retriable: false });
  });
});
