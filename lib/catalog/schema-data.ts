/** The `data` and `family` parts of a model: where its events are and which fields matter. */
import { z } from 'zod';
import { DRIFT_METHOD_NAMES } from './drift-methods';
import { duration, fieldName, fraction, read, section, topicName, uniqueBy, withArrayCheck, type Report } from './schema-common';

export const driftMethodChoice = z.enum(['auto', ...DRIFT_METHOD_NAMES]);

export const FeatureDriftSchema = section(
  'Per-feature override of the drift test; unset keys inherit triggers.drift.',
  {
    method: driftMethodChoice.describe(`Drift test for this feature: auto | ${DRIFT_METHOD_NAMES.join(' | ')}.`).optional(),
    threshold: z.number().describe("Threshold for this feature's test; its meaning depends on the method.").optional(),
    minEffect: fraction(
      "This feature's triggers.drift.minEffect: under the false-alarm budget it drifts only when at least this share of its distribution moved (KS D, or total variation for categorical features). Only for a feature under the budget (method auto, no threshold).",
    ).optional(),
  },
  (value, report) => {
    if (value.method === undefined && value.threshold === undefined && value.minEffect === undefined) report([], 'give a method, a threshold or a minEffect (or drop drift:)');
  },
);

export const FeatureSchema = section('One model input, a field of the feature record.', {
  name: fieldName.describe('Field name in the feature record.'),
  type: z
    .enum(['numeric', 'categorical'])
    .describe('How drift is measured. When absent, inferred from the Avro type at start-up (numbers → numeric, string/enum/boolean → categorical).')
    .optional(),
  critical: z.boolean().describe('Drift of this feature alone marks the dataset as drifted.').prefault(false),
  drift: FeatureDriftSchema.optional(),
});

export const FamilySchema = section('Train one model per value of a segment field (e.g. per merchant).', {
  segmentField: fieldName.describe("Feature-record field whose value names the segment (labels reach it through their event's feature record); not itself a feature."),
  minMaturedLabels: z.number().int().min(1).describe('A segment gets its own model once it has this many matured labels.').prefault(500),
  maxSegments: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .describe(
      'Upper bound on the number of segment models in this family. Each member shard admits ceil(maxSegments / shards) segments, in the order they first appear in a judged window; later segments are folded into the shard\'s overflow member (judged, never trained) and counted by roundhouse_trigger_family_overflow_segments.',
    )
    .prefault(1000),
  shards: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .describe("Member shards: the family's members are judged in this many parts, spread over the trigger's judge instances (a segment's shard is a hash of its value).")
    .prefault(16),
});

/** Identity and label fields must not double as model inputs (leakage, or a meaningless feature). */
function checkReservedFields(value: Readonly<Record<string, unknown>>, report: Report): void {
  const reserved: Array<[string, string]> = [];
  for (const key of ['eventIdField', 'eventTimeField', 'labelField', 'scoreField'] as const) {
    const field = read.str(value[key]);
    if (field !== undefined) reserved.push([key, field]);
  }
  read.arr(value.features).forEach((feature, index) => {
    const name = read.str(read.obj(feature)?.name);
    const clash = reserved.find(([, field]) => field === name);
    if (clash !== undefined) report(['features', index, 'name'], `"${name}" is the ${clash[0]}; it cannot also be a feature`);
  });
}

export const DataSchema = section(
  'Where the model\'s events live and which fields it uses.',
  {
    featureTopic: topicName.describe('Kafka topic carrying the feature records (Avro, Confluent wire format).'),
    labelTopic: topicName.describe('Kafka topic carrying the label records.'),
    eventIdField: fieldName.describe('Feature-record field that identifies the event (join key).').prefault('event_id'),
    eventTimeField: fieldName.describe('Feature-record field with the event time (Avro timestamp-millis or long epoch ms).').prefault('event_time'),
    labelEventIdField: fieldName.describe('Label-record field holding the event id it labels. Default: same as eventIdField.').optional(),
    labelTimeField: fieldName.describe('Label-record field with the time the label became known.').prefault('label_time'),
    labelField: fieldName.describe('Label-record field with the outcome (boolean or 0/1).'),
    labelMaturity: duration().describe('How long after the event a label is final (e.g. chargeback window). Events younger than this are not trained on.'),
    allowedFutureSkew: duration()
      .describe(
        "How far an event time may lie ahead of both the partition's watermark and the record's Kafka timestamp. Events beyond it (a clock or unit error: microseconds for milliseconds) go to the topic's dead-letter topic instead of moving the watermark.",
      )
      .prefault('1h'),
    idlePartitionTimeout: duration()
      .describe(
        "A feature-topic partition that is caught up (its consumer is at the end of the log) and whose watermark is this far behind the topic's newest event time stops holding windows back. Its later events, for windows already judged, are late.",
      )
      .prefault('5m'),
    scoreField: fieldName.describe("Feature-record field with the serving model's score, watched by triggers.score.").optional(),
    features: withArrayCheck(z.array(FeatureSchema).min(1, { error: 'a model needs at least one feature' }), uniqueBy('name', 'feature', 'features')).describe(
      'Model inputs, in the order the trainer sees them.',
    ),
  },
  checkReservedFields,
);
