import { EVENT_DECODERS } from './decode';
import type { SchemaJson } from './inline';
import { MINIMAL_SAMPLE_EVENTS, SAMPLE_EVENTS } from './samples';
import { EVENT_NAMES, PLATFORM_EVENTS, toAvroType } from './schemas';

describe.each(EVENT_NAMES)('%s round-trips through Avro binary', (name) => {
  // Parse the registered (standalone) schema afresh, as a consumer in another process would.
  const type = toAvroType(JSON.parse(JSON.stringify(PLATFORM_EVENTS[name].schema)) as SchemaJson);

  it.each([
    ['full', SAMPLE_EVENTS[name]],
    ['minimal', MINIMAL_SAMPLE_EVENTS[name]],
  ])('%s sample: encodes, decodes and passes its decoder unchanged', (_label, sample) => {
    expect(type.isValid(sample)).toBe(true);
    const buffer = type.toBuffer(sample);
    const read: unknown = type.fromBuffer(buffer);
    const decoded = EVENT_DECODERS[name](read);
    expect(decoded).toEqual(sample);
    // The decoder hands out plain objects, not avsc record instances.
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  });

  it('refuses to encode a value its decoder refuses', () => {
    const broken = { ...SAMPLE_EVENTS[name], modelId: undefined };
    expect(() => type.toBuffer(broken)).toThrow();
    expect(() => EVENT_DECODERS[name](broken)).toThrow(/modelId: missing/);
  });
});
