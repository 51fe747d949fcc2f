import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EventBus, OutboundMessage } from '../../../lib/bus';
import { parseCatalog, type ModelSpec } from '../../../lib/catalog';
import type { AvroCodec } from '../../../lib/codec';
import { subjectFor } from '../../../lib/events';
import { RUN_SPEC_VERSION, type RunSpec } from '../../../lib/runspec';
import { DEFAULT_START_TIME, generateCardEvents, labelEvents, type CardEvent, type CardStreamOptions } from '../../../lib/synthetic';

/** Trainer test fixtures: a catalog model over the synthetic card stream, run specs, and producing the stream. */

const SCHEMAS = path.join(__dirname, '..', '..', '..', 'schemas', 'examples');
export const CARD_SCHEMA = readFileSync(path.join(SCHEMAS, 'CardTransaction.avsc'), 'utf8');
export const CHARGEBACK_SCHEMA = readFileSync(path.join(SCHEMAS, 'Chargeback.avsc'), 'utf8');

export interface CardModelOptions {
  readonly id?: string;
  readonly featureTopic: string;
  readonly labelTopic: string;
  readonly labelMaturity?: string;
  /** Per-merchant family (segmentField merchant_id). */
  readonly family?: boolean;
  readonly holdout?: number;
  readonly validation?: number;
  readonly estimator?: string;
}

export function cardModel(o: CardModelOptions): ModelSpec {
  const id = o.id ?? 'card-fraud';
  const yaml = `version: 1
models:
  - id: ${id}
${o.family ? '    family: { segmentField: merchant_id, minMaturedLabels: 10, maxSegments: 10 }' : ''}
    data:
      featureTopic: ${o.featureTopic}
      labelTopic: ${o.labelTopic}
      eventIdField: event_id
      eventTimeField: event_time
      labelTimeField: label_time
      labelField: is_fraud
      labelMaturity: ${o.labelMaturity ?? '30s'}
      scoreField: model_score
      features:
        - { name: amount, type: numeric }
        - { name: currency }
        - { name: merchant_category, type: categorical }
        - { name: country, type: categorical }
        - { name: card_age_days, type: numeric }
        - { name: is_new_device, type: categorical }
        - { name: txn_count_1h, type: numeric }
        - { name: txn_count_24h }
        - { name: amount_sum_24h, type: numeric }
        - { name: distinct_merchants_24h, type: numeric }
        - { name: distance_from_home_km, type: numeric }
    training:
      estimator: ${o.estimator ?? 'logistic-regression'}
      holdout: { fraction: ${o.holdout ?? 0.25}, validationFraction: ${o.validation ?? 0} }
      hyperparameters: { C: 1, classWeight: balanced }
`;
  const model = parseCatalog(yaml, 'trainer-fixture').models[0];
  if (!model) throw new Error('fixture catalog has no model');
  return model;
}

export interface SpecOptions {
  readonly runId?: string;
  readonly modelId?: string;
  readonly segment?: string | null;
  readonly startTime: number;
  readonly endTime: number;
  readonly artifactUri: string;
  readonly hyperparameters?: Record<string, unknown>;
  readonly partitions?: RunSpec['dataWindow']['partitions'];
}

export function runSpecFor(model: ModelSpec, o: SpecOptions): RunSpec {
  const modelId = o.modelId ?? model.id;
  return {
    version: RUN_SPEC_VERSION,
    runId: o.runId ?? 'run-1',
    requestId: 'request-1',
    modelId,
    segment: o.segment ?? null,
    reason: 'MANUAL',
    dataWindow: { startTime: o.startTime, endTime: o.endTime, partitions: o.partitions ?? [] },
    model: { ...model, id: modelId },
    hyperparameters: o.hyperparameters ?? { ...model.training.hyperparameters },
    artifactUri: o.artifactUri,
    seed: 7,
    createdAt: o.startTime,
  };
}

export interface ProducedCards {
  readonly events: readonly CardEvent[];
  readonly startTime: number;
  /** Event time just after the last event. */
  readonly endTime: number;
}

/**
 * Produce the card stream and its chargebacks as Avro (Confluent wire format),
 * keyed by merchant, with Kafka record timestamps set to the event (label) times.
 */
export async function produceCards(
  bus: EventBus,
  avro: AvroCodec,
  topics: { featureTopic: string; labelTopic: string },
  count: number,
  options: CardStreamOptions = {},
): Promise<ProducedCards> {
  const startTime = options.startTime ?? DEFAULT_START_TIME;
  const events = generateCardEvents(count, { seed: 11, fraudRate: 0.03, ...options, startTime });
  const cards = await avro.writer(subjectFor(topics.featureTopic), CARD_SCHEMA);
  const chargebacks = await avro.writer(subjectFor(topics.labelTopic), CHARGEBACK_SCHEMA);
  const features: OutboundMessage[] = events.map((e) => ({
    topic: topics.featureTopic,
    key: e.transaction.merchant_id,
    value: cards.encode(e.transaction),
    timestamp: e.transaction.event_time,
  }));
  const labels: OutboundMessage[] = labelEvents(events).map((l) => ({ topic: topics.labelTopic, key: l.event_id, value: chargebacks.encode(l), timestamp: l.label_time }));
  for (let i = 0; i < features.length; i += 2000) await bus.publish(features.slice(i, i + 2000));
  for (let i = 0; i < labels.length; i += 2000) await bus.publish(labels.slice(i, i + 2000));
  const last = events[events.length - 1]?.transaction.event_time ?? startTime;
  return { events, startTime, endTime: last + 1 };
}
