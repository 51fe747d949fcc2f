import { errorCode } from '../errors';
import { EVENT_NAMES } from '../events/schemas';
import { MINIMAL_SAMPLE_EVENTS, SAMPLE_EVENTS } from '../events/samples';
import { AvroCodec } from './codec';
import { MemorySchemaRegistry } from './memory-registry';
import { createPlatformCodec, topicNames } from './platform';

describe('platform codec', () => {
  it.each(EVENT_NAMES)('round-trips %s (full and minimal samples)', async (name) => {
    const codec = await createPlatformCodec(new AvroCodec(new MemorySchemaRegistry()));
    expect(codec.decode(name, codec.encode(name, SAMPLE_EVENTS[name]))).toEqual(SAMPLE_EVENTS[name]);
    expect(codec.decode(name, codec.encode(name, MINIMAL_SAMPLE_EVENTS[name]))).toEqual(MINIMAL_SAMPLE_EVENTS[name]);
  });

  it('keys messages by modelId on the prefixed topic of the event', async () => {
    const codec = await createPlatformCodec(new AvroCodec(new MemorySchemaRegistry()), topicNames('staging.'));
    const message = codec.message('ModelReady', SAMPLE_EVENTS.ModelReady);
    expect(message.topic).toBe('staging.roundhouse.model-ready');
    expect(message.key).toBe(SAMPLE_EVENTS.ModelReady.modelId);
  });

  it('refuses to read one event as another', async () => {
    const codec = await createPlatformCodec(new AvroCodec(new MemorySchemaRegistry()));
    const bytes = codec.encode('ModelReady', SAMPLE_EVENTS.ModelReady);
    let thrown: unknown;
    try {
      codec.decode('TrainingRun', bytes);
    } catch (error) {
      thrown = error;
    }
    expect(errorCode(thrown)).toBe('DECODE_BODY');
  });
});
