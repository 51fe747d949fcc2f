import type { Readiness } from '../metrics/probes';
import { BatchProcessorDeps, BatchProcessorSpec, createBatchProcessor } from './processor';
import type { EventBus, Subscription, TopicPartition } from './types';

export interface ConsumerSpec<T> extends BatchProcessorSpec<T> {
  readonly topics: readonly string[];
  readonly fromBeginning?: boolean;
  /** Outputs and offsets commit in one Kafka transaction (exactly-once). */
  readonly transactionalId?: string;
  readonly onAssignment?: (assigned: readonly TopicPartition[]) => void;
}

export interface RunningConsumer extends Subscription {
  readonly name: string;
}

/**
 * Subscribe a batch processor and wire its readiness: the service is ready only
 * while this consumer has joined its group and is fetching.
 */
export async function startConsumer<T>(
  bus: EventBus,
  spec: ConsumerSpec<T>,
  deps: BatchProcessorDeps & { readonly readiness?: Readiness } = {},
): Promise<RunningConsumer> {
  const subscription = await bus.subscribe({
    groupId: spec.groupId,
    topics: spec.topics,
    ...(spec.fromBeginning !== undefined ? { fromBeginning: spec.fromBeginning } : {}),
    ...(spec.transactionalId ? { transactionalId: spec.transactionalId } : {}),
    ...(spec.onAssignment ? { onAssignment: spec.onAssignment } : {}),
    onBatch: createBatchProcessor(spec, deps),
  });
  deps.readiness?.register(`consumer:${spec.name}`, () =>
    subscription.isConsuming() ? { ready: true } : { ready: false, detail: 'not consuming (starting, rebalancing, stopped or crashed)' },
  );
  return { name: spec.name, isConsuming: () => subscription.isConsuming(), stop: () => subscription.stop(), done: subscription.done };
}
