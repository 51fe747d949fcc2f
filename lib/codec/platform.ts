import type { OutboundMessage } from '../bus/types';
import { EVENT_DECODERS, EventTypes } from '../events/decode';
import { EVENT_NAMES, EventName, PLATFORM_EVENTS } from '../events/schemas';
import { DEFAULT_TOPICS, subjectFor } from '../events/topics';
import type { AvroCodec, AvroReader, AvroWriter } from './codec';

/** Topic names actually used by a deployment (defaults, optionally prefixed). */
export type TopicNames = { readonly [K in keyof typeof DEFAULT_TOPICS]: string };

export function topicNames(prefix = ''): TopicNames {
  const out: Record<string, string> = {};
  for (const [key, topic] of Object.entries(DEFAULT_TOPICS)) out[key] = `${prefix}${topic}`;
  return Object.freeze(out) as TopicNames;
}

const TOPIC_OF: { readonly [N in EventName]: keyof TopicNames } = {
  RetrainRequested: 'retrainRequests',
  TrainingRun: 'trainingRuns',
  TrainingCompleted: 'trainingResults',
  ModelEvaluated: 'evaluations',
  ModelReady: 'modelReady',
};

/**
 * Every platform event's writer and reader, registered once at start-up. After
 * `createPlatformCodec` resolves, encoding and decoding are synchronous.
 */
export interface PlatformCodec {
  readonly topics: TopicNames;
  topicOf(name: EventName): string;
  encode<N extends EventName>(name: N, value: EventTypes[N]): Buffer;
  /** Decode and validate; throws DECODE_* / VALIDATION (non-retriable) on poison. */
  decode<N extends EventName>(name: N, buffer: Buffer | null): EventTypes[N];
  /** A message for the event's topic, keyed by modelId as DESIGN.md says. */
  message<N extends EventName>(name: N, value: EventTypes[N] & { readonly modelId: string }): OutboundMessage;
  /** The underlying codec, for prepare() of unseen writer ids in a batch. */
  readonly avro: AvroCodec;
}

export async function createPlatformCodec(avro: AvroCodec, topics: TopicNames = topicNames()): Promise<PlatformCodec> {
  const writers = new Map<EventName, AvroWriter<unknown>>();
  const readers = new Map<EventName, AvroReader<unknown>>();
  for (const name of EVENT_NAMES) {
    const { schema } = PLATFORM_EVENTS[name];
    writers.set(name, await avro.writer(subjectFor(topics[TOPIC_OF[name]]), schema));
    readers.set(name, avro.reader(schema, EVENT_DECODERS[name] as (value: unknown) => unknown));
  }
  const codec: PlatformCodec = {
    topics,
    avro,
    topicOf: (name) => topics[TOPIC_OF[name]],
    encode: (name, value) => writers.get(name)!.encode(value),
    decode: <N extends EventName>(name: N, buffer: Buffer | null) => readers.get(name)!.decode(buffer) as EventTypes[N],
    message: (name, value) => ({ topic: topics[TOPIC_OF[name]], key: value.modelId, value: codec.encode(name, value) }),
  };
  return codec;
}
