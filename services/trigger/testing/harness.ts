import type { EventBus } from '../../../lib/bus';
import type { ModelSpec } from '../../../lib/catalog';
import { AvroCodec, createPlatformCodec, type PlatformCodec, type SchemaRegistryClient, type TopicNames } from '../../../lib/codec';
import type { ModelReady, ReferenceProfile } from '../../../lib/events';
import { SAMPLE_EVENTS } from '../../../lib/events/samples';
import { syntheticFeatureSchema } from './schema';
import type { SyntheticEvent } from './stream';

/** Producing the synthetic stream and a champion onto any EventBus (memory or Kafka). */
export async function publishEvents(
  bus: EventBus,
  registry: SchemaRegistryClient,
  topic: string,
  features: number,
  events: Iterable<SyntheticEvent>,
  batchSize = 2000,
  /** The partition of the n-th event (default: by key). */
  partitionOf?: (event: SyntheticEvent, n: number) => number,
): Promise<number> {
  const writer = await new AvroCodec(registry).writer<SyntheticEvent>(`${topic}-value`, syntheticFeatureSchema(features));
  let batch: { topic: string; key: string; value: Buffer; partition?: number }[] = [];
  let n = 0;
  for (const event of events) {
    batch.push({ topic, key: event.merchant_id, value: writer.encode(event), ...(partitionOf ? { partition: partitionOf(event, n) } : {}) });
    n++;
    if (batch.length >= batchSize) {
      await bus.publish(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await bus.publish(batch);
  return n;
}

export function championEvent(model: ModelSpec, profile: ReferenceProfile, version: number, promotedAt: number, dataWindowEnd: number): ModelReady {
  const sample = SAMPLE_EVENTS.ModelReady;
  return {
    ...sample,
    modelId: model.id,
    version,
    profile,
    promotedAt,
    lineage: { ...sample.lineage, dataWindow: { startTime: dataWindowEnd - 86_400_000, endTime: dataWindowEnd, partitions: [] } },
  };
}

export async function platformCodec(registry: SchemaRegistryClient, topics?: TopicNames): Promise<PlatformCodec> {
  return createPlatformCodec(new AvroCodec(registry), topics);
}
