import { createBatchProcessor } from '../../lib/bus/processor';
import { AvroCodec, createPlatformCodec, topicNames } from '../../lib/codec';
import { EVENT_NAMES, EventName } from '../../lib/events/schemas';
import type { EventTypes } from '../../lib/events/decode';
import { SAMPLE_EVENTS } from '../../lib/events/samples';
import { kafkaBus, registryClient, uniqueName, waitFor } from '../helpers';

describe('platform events through the real registry and broker', () => {
  it('round-trips every platform event: registered, produced, consumed, decoded, validated', async () => {
    const topics = topicNames(`${uniqueName('rt')}.`);
    const producerSide = await createPlatformCodec(new AvroCodec(registryClient()), topics);
    const bus = kafkaBus();
    await bus.ensureTopics(EVENT_NAMES.map((name) => ({ name: producerSide.topicOf(name), partitions: 1 })));
    await bus.publish(EVENT_NAMES.map((name) => producerSide.message(name, SAMPLE_EVENTS[name])));

    // A separate codec instance: it must resolve the writer ids from the registry.
    const consumerSide = await createPlatformCodec(new AvroCodec(registryClient()), topics);
    const eventOfTopic = new Map(EVENT_NAMES.map((name) => [consumerSide.topicOf(name), name] as const));
    const received = new Map<EventName, EventTypes[EventName]>();
    const groupId = uniqueName('rt-group');
    const subscription = await bus.subscribe({
      groupId,
      topics: EVENT_NAMES.map((name) => consumerSide.topicOf(name)),
      onBatch: createBatchProcessor({
        name: 'roundtrip',
        groupId,
        prepare: (messages) => consumerSide.avro.prepare(messages.map((m) => m.value)),
        decode: (message) => {
          const name = eventOfTopic.get(message.topic)!;
          return { name, event: consumerSide.decode(name, message.value) };
        },
        handle: async (records) => {
          for (const { value } of records) received.set(value.name, value.event);
        },
      }),
    });
    try {
      await waitFor(() => received.size === EVENT_NAMES.length, 'every event');
      for (const name of EVENT_NAMES) expect(received.get(name)).toEqual(SAMPLE_EVENTS[name]);
    } finally {
      await subscription.stop();
      await bus.close();
    }
  });
});
