import * as avro from 'avsc';
import { ErrorCodes, RoundhouseError } from '../errors';
import type { SchemaRegistryClient } from './registry';

/**
 * An in-memory registry with the BACKWARD rule, for unit tests and the embedded
 * demo: a new version must be able to read data written with the previous one.
 * Identical schemas under any subject share one id, as in Confluent's registry.
 */
export class MemorySchemaRegistry implements SchemaRegistryClient {
  private readonly byId = new Map<number, string>();
  private readonly idByCanonical = new Map<string, number>();
  private readonly subjects = new Map<string, number[]>();
  private nextId = 1;
  /** Number of schemaById calls, so tests can assert ids are resolved once. */
  lookups = 0;

  async register(subject: string, schema: string): Promise<number> {
    let type: avro.Type;
    try {
      type = avro.Type.forSchema(JSON.parse(schema) as avro.Schema);
    } catch (error) {
      throw new RoundhouseError(ErrorCodes.VALIDATION, `invalid Avro schema for ${subject}: ${(error as Error).message}`, { context: { subject } });
    }
    const canonical = JSON.stringify(type.schema());
    const versions = this.subjects.get(subject) ?? [];
    const existingId = this.idByCanonical.get(canonical);
    if (existingId !== undefined && versions.includes(existingId)) return existingId;
    const latest = versions[versions.length - 1];
    if (latest !== undefined) {
      const previous = avro.Type.forSchema(JSON.parse(this.byId.get(latest)!) as avro.Schema);
      try {
        type.createResolver(previous);
      } catch (error) {
        throw new RoundhouseError(ErrorCodes.SCHEMA_INCOMPATIBLE, `schema for ${subject} is not BACKWARD compatible: ${(error as Error).message}`, {
          context: { subject },
        });
      }
    }
    const id = existingId ?? this.nextId++;
    this.byId.set(id, schema);
    this.idByCanonical.set(canonical, id);
    this.subjects.set(subject, [...versions, id]);
    return id;
  }

  async latestSchema(subject: string): Promise<string | null> {
    const versions = this.subjects.get(subject);
    const latest = versions?.[versions.length - 1];
    return latest === undefined ? null : this.byId.get(latest)!;
  }

  async schemaById(id: number): Promise<string> {
    this.lookups++;
    const schema = this.byId.get(id);
    if (schema === undefined) {
      throw new RoundhouseError(ErrorCodes.DECODE_UNKNOWN_SCHEMA, `schema id ${id} is not in the registry`, { context: { id } });
    }
    return schema;
  }
}
