import * as avro from 'avsc';
import { featureNames } from './stream';

/** Avro schema of the synthetic feature events and of their labels. */
export function syntheticFeatureSchema(features: number): { type: 'record'; name: string; namespace: string; fields: { name: string; type: unknown }[] } {
  return {
    type: 'record',
    name: 'SyntheticTransaction',
    namespace: 'dev.roundhouse.test',
    fields: [
      { name: 'event_id', type: 'string' },
      { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'merchant_id', type: 'string' },
      { name: 'channel', type: 'string' },
      ...featureNames(features).map((name) => ({ name, type: 'double' })),
    ],
  };
}

export const syntheticLabelSchema = {
  type: 'record',
  name: 'SyntheticLabel',
  namespace: 'dev.roundhouse.test',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'label_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'is_fraud', type: 'boolean' },
  ],
};

export function avroType(schema: object): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' });
}
