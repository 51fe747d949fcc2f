import { errorCode } from '../errors';
import { AvroCodec, parseWireHeader } from './codec';
import { MemorySchemaRegistry } from './memory-registry';

const paymentV1 = {
  type: 'record',
  name: 'Payment',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
};
const paymentV2 = {
  ...paymentV1,
  fields: [...paymentV1.fields, { name: 'currency', type: ['null', 'string'], default: null }],
};

interface Payment {
  id: string;
  amount: number;
  currency?: string | null;
}

function asPayment(value: unknown): Payment {
  const v = value as Payment;
  if (typeof v.id !== 'string' || typeof v.amount !== 'number') throw new Error('not a payment');
  return { id: v.id, amount: v.amount, currency: v.currency ?? null };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('AvroCodec', () => {
  it('writes the Confluent wire format and reads it back synchronously', async () => {
    const registry = new MemorySchemaRegistry();
    const codec = new AvroCodec(registry);
    const writer = await codec.writer<Payment>('payments-value', paymentV1);
    const bytes = writer.encode({ id: 'p1', amount: 12.5 });
    expect(bytes[0]).toBe(0);
    expect(parseWireHeader(bytes).schemaId).toBe(writer.schemaId);

    const reader = codec.reader(paymentV1, asPayment);
    expect(reader.decode(bytes)).toEqual({ id: 'p1', amount: 12.5, currency: null });
  });

  it('resolves an unseen schema id once per batch, then decodes without lookups', async () => {
    const registry = new MemorySchemaRegistry();
    const producerSide = new AvroCodec(registry);
    const writer = await producerSide.writer<Payment>('payments-value', paymentV1);
    const messages = Array.from({ length: 100 }, (_, i) => writer.encode({ id: `p${i}`, amount: i }));

    const consumerSide = new AvroCodec(registry);
    expect(errorCode(caught(() => consumerSide.decodeGeneric(messages[0]!)))).toBe('DECODE_UNKNOWN_SCHEMA');
    await consumerSide.prepare(messages);
    await consumerSide.prepare(messages);
    expect(registry.lookups).toBe(1);
    const decoded = messages.map((m) => consumerSide.decodeGeneric(m).value as Payment);
    expect(decoded[99]).toEqual({ id: 'p99', amount: 99 });
  });

  it('reads data written with an older compatible version into the newer reader schema', async () => {
    const registry = new MemorySchemaRegistry();
    const codec = new AvroCodec(registry);
    const v1 = await codec.writer<Payment>('payments-value', paymentV1);
    const v2 = await codec.writer<Payment>('payments-value', paymentV2);
    expect(v2.schemaId).not.toBe(v1.schemaId);
    const reader = codec.reader(paymentV2, asPayment);
    expect(reader.decode(v1.encode({ id: 'old', amount: 1 }))).toEqual({ id: 'old', amount: 1, currency: null });
    expect(reader.decode(v2.encode({ id: 'new', amount: 2, currency: 'EUR' }))).toEqual({ id: 'new', amount: 2, currency: 'EUR' });
  });

  it('classifies each kind of poison message', async () => {
    const registry = new MemorySchemaRegistry();
    const codec = new AvroCodec(registry);
    const writer = await codec.writer<Payment>('payments-value', paymentV1);
    const good = writer.encode({ id: 'p', amount: 1 });

    expect(errorCode(caught(() => codec.decodeGeneric(Buffer.from('{"json":true}'))))).toBe('DECODE_MAGIC_BYTE');
    expect(errorCode(caught(() => codec.decodeGeneric(Buffer.from([0, 1]))))).toBe('DECODE_MAGIC_BYTE');
    expect(errorCode(caught(() => codec.decodeGeneric(null)))).toBe('DECODE_MAGIC_BYTE');

    const unknownId = Buffer.from(good);
    unknownId.writeUInt32BE(4242, 1);
    await codec.prepare([unknownId]);
    const unknown = caught(() => codec.decodeGeneric(unknownId));
    expect(errorCode(unknown)).toBe('DECODE_UNKNOWN_SCHEMA');
    expect((unknown as Error).message).toContain('4242');

    expect(errorCode(caught(() => codec.decodeGeneric(good.subarray(0, good.length - 3))))).toBe('DECODE_BODY');
    expect(errorCode(caught(() => codec.decodeGeneric(Buffer.concat([good, Buffer.from([1, 2, 3])]))))).toBe('DECODE_BODY');
  });

  it('names the invalid field when encoding a value that does not match the schema', async () => {
    const codec = new AvroCodec(new MemorySchemaRegistry());
    const writer = await codec.writer<Payment>('payments-value', paymentV1);
    const error = caught(() => writer.encode({ id: 'p', amount: 'lots' as unknown as number }));
    expect(errorCode(error)).toBe('VALIDATION');
    expect((error as Error).message).toContain('amount');
  });

  it('refuses a BACKWARD-incompatible version in the in-memory registry', async () => {
    const registry = new MemorySchemaRegistry();
    await registry.register('payments-value', JSON.stringify(paymentV1));
    const breaking = { ...paymentV1, fields: [...paymentV1.fields, { name: 'merchant', type: 'string' }] };
    await expect(registry.register('payments-value', JSON.stringify(breaking))).rejects.toMatchObject({ code: 'SCHEMA_INCOMPATIBLE' });
  });
});
