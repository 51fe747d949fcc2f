import type { ModelSpec } from '../../../lib/catalog';
import { ErrorCodes, RoundhouseError } from '../../../lib/errors';

/**
 * Turning a user's decoded Avro record into what the trigger needs: event id,
 * event time, segment, feature values and score (feature topics) or label and
 * label time (label topics). The catalog names the fields; a feature's kind comes
 * from the catalog or, when absent, from the writer's Avro type (numbers →
 * numeric; strings, enums, booleans → categorical). A plan is compiled once per
 * writer schema, so the hot loop only indexes into the record.
 */

export type FeatureKind = 'numeric' | 'categorical';

/** A field of a writer schema as avsc describes it (only what we read). */
export interface AvroFieldInfo {
  readonly name: string;
  readonly type: unknown;
}

interface AvscTypeLike {
  readonly typeName?: string;
  readonly fields?: readonly { readonly name: string; readonly type: AvscTypeLike }[];
  readonly types?: readonly AvscTypeLike[];
  readonly schema?: (opts?: object) => unknown;
}

const NUMERIC_TYPES = new Set(['int', 'long', 'float', 'double']);
const CATEGORICAL_TYPES = new Set(['string', 'enum', 'boolean']);

/** The non-null branch of a nullable union, or the type itself. */
function unwrapNullable(type: AvscTypeLike): AvscTypeLike {
  if (type.typeName === 'union:unwrapped' || type.typeName === 'union:wrapped' || type.typeName === 'union') {
    const branches = (type.types ?? []).filter((t) => t.typeName !== 'null');
    if (branches.length === 1) return branches[0]!;
  }
  return type;
}

function logicalTypeOf(type: AvscTypeLike): string | undefined {
  if (typeof type.typeName === 'string' && type.typeName.startsWith('logical:')) return type.typeName.slice('logical:'.length);
  const schema = type.schema?.({ exportAttrs: true }) as { logicalType?: string } | string | undefined;
  return typeof schema === 'object' && schema !== null ? schema.logicalType : undefined;
}

export function avroKind(type: AvscTypeLike): FeatureKind | undefined {
  const inner = unwrapNullable(type);
  if (inner.typeName && NUMERIC_TYPES.has(inner.typeName)) return 'numeric';
  if (inner.typeName && CATEGORICAL_TYPES.has(inner.typeName)) return 'categorical';
  return undefined;
}

export interface FeaturePlan {
  readonly name: string;
  readonly kind: FeatureKind;
  /** False when the writer schema has no such field: every value counts as missing. */
  readonly present: boolean;
}

export interface FeatureRecordPlan {
  readonly eventIdField: string;
  readonly eventTimeField: string;
  readonly timeScale: number;
  readonly segmentField: string | null;
  readonly features: readonly FeaturePlan[];
  readonly scoreField: string | null;
}

export interface LabelRecordPlan {
  readonly eventIdField: string;
  readonly labelTimeField: string;
  readonly timeScale: number;
  readonly labelField: string;
  readonly segmentField: string | null;
}

function fieldMap(type: AvscTypeLike): Map<string, AvscTypeLike> {
  if (!type.fields) throw new RoundhouseError(ErrorCodes.VALIDATION, `input records must be Avro records, got ${type.typeName ?? 'an unknown type'}`);
  return new Map(type.fields.map((f) => [f.name, f.type]));
}

function timeScaleOf(type: AvscTypeLike, field: string, fields: Map<string, AvscTypeLike>): number {
  const fieldType = fields.get(field);
  if (!fieldType) throw new RoundhouseError(ErrorCodes.VALIDATION, `record has no time field ${field}`, { context: { field } });
  const inner = unwrapNullable(fieldType);
  const logical = logicalTypeOf(inner);
  if (logical === 'timestamp-micros' || logical === 'local-timestamp-micros') return 1 / 1000;
  if (inner.typeName !== 'long' && inner.typeName !== 'int' && inner.typeName !== 'double' && !logical) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `time field ${field} must be a long (epoch ms), got ${inner.typeName}`, { context: { field } });
  }
  void type;
  return 1;
}

export function compileFeaturePlan(model: ModelSpec, type: AvscTypeLike): FeatureRecordPlan {
  const fields = fieldMap(type);
  const { data } = model;
  if (!fields.has(data.eventIdField)) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `feature record has no event id field ${data.eventIdField} (model ${model.id})`, { context: { field: data.eventIdField } });
  }
  const features = data.features.map((feature): FeaturePlan => {
    const avroType = fields.get(feature.name);
    const inferred = avroType ? avroKind(avroType) : undefined;
    const kind = feature.type ?? inferred;
    if (!kind) {
      throw new RoundhouseError(
        ErrorCodes.VALIDATION,
        `feature ${feature.name} of model ${model.id}: cannot tell numeric from categorical (${avroType ? 'unsupported Avro type' : 'field absent'}); set its type in the catalog`,
        { context: { feature: feature.name } },
      );
    }
    return { name: feature.name, kind, present: avroType !== undefined };
  });
  return {
    eventIdField: data.eventIdField,
    eventTimeField: data.eventTimeField,
    timeScale: timeScaleOf(type, data.eventTimeField, fields),
    segmentField: model.family?.segmentField ?? null,
    features,
    scoreField: data.scoreField && fields.has(data.scoreField) ? data.scoreField : null,
  };
}

export function compileLabelPlan(model: ModelSpec, type: AvscTypeLike): LabelRecordPlan {
  const fields = fieldMap(type);
  const { data } = model;
  for (const field of [data.labelEventIdField, data.labelField]) {
    if (!fields.has(field)) throw new RoundhouseError(ErrorCodes.VALIDATION, `label record has no field ${field} (model ${model.id})`, { context: { field } });
  }
  const segmentField = model.family?.segmentField ?? null;
  if (segmentField !== null && !fields.has(segmentField)) {
    // Without it a label cannot reach its member (issue 11: the Kafka key was
    // used instead, and every chargeback became a member of its own).
    throw new RoundhouseError(
      ErrorCodes.VALIDATION,
      `label record has no segment field ${segmentField}: family ${model.id} cannot route labels to its members; add ${segmentField} to the label record`,
      { context: { field: segmentField } },
    );
  }
  return {
    eventIdField: data.labelEventIdField,
    labelTimeField: data.labelTimeField,
    timeScale: timeScaleOf(type, data.labelTimeField, fields),
    labelField: data.labelField,
    segmentField,
  };
}

export interface FeatureEvent {
  readonly eventTime: number;
  readonly segment: string | null;
}

type Row = Readonly<Record<string, unknown>>;

export function readTime(row: Row, field: string, scale: number): number {
  const raw = row[field];
  const value = typeof raw === 'number' ? raw : raw instanceof Date ? raw.getTime() : NaN;
  if (!Number.isFinite(value)) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `${field} must be a timestamp, got ${JSON.stringify(raw)}`, { context: { field } });
  }
  return Math.floor(value * scale);
}

export function readSegment(row: Row, field: string | null, key: Buffer | null): string | null {
  if (field === null) return key === null ? null : key.toString();
  const raw = row[field];
  if (raw === null || raw === undefined) return null;
  return typeof raw === 'string' ? raw : String(raw);
}

/** A label is positive when true, 1, or a non-empty string other than "0"/"false". */
export function readLabel(row: Row, field: string): boolean {
  const raw = row[field];
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return raw !== 0;
  if (typeof raw === 'string') return raw !== '' && raw !== '0' && raw.toLowerCase() !== 'false';
  if (raw === null || raw === undefined) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `label field ${field} is missing`, { context: { field } });
  }
  throw new RoundhouseError(ErrorCodes.VALIDATION, `label field ${field} is not boolean, number or string`, { context: { field } });
}

export function readNumeric(row: Row, field: string): number | null {
  const raw = row[field];
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  return NaN;
}

export function readCategorical(row: Row, field: string): string | number | boolean | null {
  const raw = row[field];
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return raw;
  return String(raw);
}
