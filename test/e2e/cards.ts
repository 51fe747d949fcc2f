/**
 * The card stream of the end-to-end test, as a producer would send it: every
 * transaction on the feature topic and every chargeback on the label topic, in
 * event-time order across both (a label is sent when it becomes known), with the
 * Kafka record timestamp set to the event (label) time so the trainer can turn
 * its window into offsets. Keyed like the trainer's fixtures: transactions by
 * merchant, chargebacks by event id.
 */
import type { EventBus, OutboundMessage } from '../../lib/bus';
import type { AvroCodec } from '../../lib/codec';
import { subjectFor } from '../../lib/events';
import { createCardStream, type CardEvent, type CardStreamOptions } from '../../lib/synthetic';
import { CARD_SCHEMA, CHARGEBACK_SCHEMA } from '../../services/trainer/testing/fixtures';

export interface Timed {
  readonly time: number;
  readonly message: OutboundMessage;
}

export interface CardTopics {
  readonly featureTopic: string;
  readonly labelTopic: string;
}

export function cardEvents(count: number, options: CardStreamOptions): CardEvent[] {
  const stream = createCardStream(options);
  return Array.from({ length: count }, (_, i) => stream.at(i));
}

/** Transactions and their chargebacks as one event-time-ordered list of messages. */
export async function cardTimeline(avro: AvroCodec, topics: CardTopics, events: readonly CardEvent[]): Promise<Timed[]> {
  const cards = await avro.writer(subjectFor(topics.featureTopic), CARD_SCHEMA);
  const chargebacks = await avro.writer(subjectFor(topics.labelTopic), CHARGEBACK_SCHEMA);
  const timed: (Timed & { order: number })[] = [];
  for (const e of events) {
    const t = e.transaction;
    timed.push({ time: t.event_time, order: 2 * e.index, message: { topic: topics.featureTopic, key: t.merchant_id, value: cards.encode(t), timestamp: t.event_time } });
    if (e.label) timed.push({ time: e.label.label_time, order: 2 * e.index + 1, message: { topic: topics.labelTopic, key: e.label.event_id, value: chargebacks.encode(e.label), timestamp: e.label.label_time } });
  }
  timed.sort((a, b) => a.time - b.time || a.order - b.order);
  return timed.map(({ time, message }) => ({ time, message }));
}

/** Publish in order, a batch at a time: whatever is on Kafka is a prefix of the timeline. */
export async function produceTimeline(bus: EventBus, timeline: readonly Timed[], batch = 2000): Promise<number> {
  for (let i = 0; i < timeline.length; i += batch) await bus.publish(timeline.slice(i, i + batch).map((t) => t.message));
  return timeline.length;
}
