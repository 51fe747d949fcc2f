import * as avro from 'avsc';
import { Clock, systemClock } from '../clock';
import { ErrorCodes, RoundhouseError, errorCode, isRetriable } from '../errors';
import type { SchemaRegistryClient } from './registry';

/**
 * Avro in the Confluent wire format: magic byte 0, a 4-byte big-endian schema id,
 * then the Avro body. Schema ids are resolved before the hot loop (writers at
 * start-up, unseen reader ids once per batch in `prepare`), so `encode` and
 * `decode` are synchronous: no await per message once a schema is cached.
 */

const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;
/** An unknown id is re-checked after this long (a registry may be restored from backup). */
const UNKNOWN_ID_TTL_MS = 60_000;

export interface WireHeader {
  readonly schemaId: number;
  readonly body: Buffer;
}

export function parseWireHeader(buffer: Buffer | null): WireHeader {
  if (buffer === null || buffer.length < HEADER_BYTES) {
    throw new RoundhouseError(ErrorCodes.DECODE_MAGIC_BYTE, `message is ${buffer === null ? 'null' : `${buffer.length} bytes`}: too short for the Confluent wire format`);
  }
  if (buffer[0] !== MAGIC_BYTE) {
    throw new RoundhouseError(ErrorCodes.DECODE_MAGIC_BYTE, `unknown magic byte ${buffer[0]} (expected 0: Confluent wire format)`);
  }
  return { schemaId: buffer.readUInt32BE(1), body: buffer.subarray(HEADER_BYTES) };
}

export interface AvroWriter<T> {
  readonly subject: string;
  readonly schemaId: number;
  encode(value: T): Buffer;
}

export interface AvroReader<T> {
  /** Decode with the writer's schema resolved into this reader's schema, then validate. */
  decode(buffer: Buffer | null): T;
}

export interface GenericRecord {
  readonly schemaId: number;
  readonly type: avro.Type;
  readonly value: unknown;
}

/**
 * avsc options for every Type we build: longs as JS numbers, unions unwrapped.
 * A fresh object each time: avsc stores named types in the options it is given,
 * so a shared object makes the second parse of a schema a "duplicate type name".
 */
const typeOptions = (): Partial<avro.ForSchemaOptions> => ({ wrapUnions: 'auto' });

export class AvroCodec {
  private readonly writerTypes = new Map<number, avro.Type>();
  private readonly unknownIds = new Map<number, { at: number; error: RoundhouseError }>();

  constructor(
    private readonly registry: SchemaRegistryClient,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Register (or find) the schema under the subject and return a synchronous writer. */
  async writer<T>(subject: string, schema: string | object): Promise<AvroWriter<T>> {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    const type = avro.Type.forSchema(JSON.parse(text) as avro.Schema, typeOptions());
    const schemaId = await this.registry.register(subject, text);
    this.writerTypes.set(schemaId, type);
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(MAGIC_BYTE, 0);
    header.writeUInt32BE(schemaId, 1);
    return {
      subject,
      schemaId,
      encode: (value: T): Buffer => {
        try {
          return Buffer.concat([header, type.toBuffer(value)]);
        } catch (error) {
          const paths: string[] = [];
          type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '(root)') });
          throw new RoundhouseError(ErrorCodes.VALIDATION, `value does not match ${subject}: invalid at ${paths.join(', ') || 'unknown path'}`, {
            context: { subject },
            cause: error,
          });
        }
      },
    };
  }

  /**
   * Fetch every schema id in these messages that is not cached yet: one await per
   * batch, none per message. Unknown ids are remembered so decode reports them as
   * poison; a registry outage is thrown as retriable so the consumer backs off.
   */
  async prepare(buffers: readonly (Buffer | null)[]): Promise<void> {
    const missing = new Set<number>();
    const now = this.clock.now();
    for (const buffer of buffers) {
      if (buffer === null || buffer.length < HEADER_BYTES || buffer[0] !== MAGIC_BYTE) continue;
      const id = buffer.readUInt32BE(1);
      if (this.writerTypes.has(id)) continue;
      const unknown = this.unknownIds.get(id);
      if (unknown && now - unknown.at < UNKNOWN_ID_TTL_MS) continue;
      missing.add(id);
    }
    for (const id of missing) {
      try {
        const schema = await this.registry.schemaById(id);
        this.writerTypes.set(id, avro.Type.forSchema(JSON.parse(schema) as avro.Schema, typeOptions()));
        this.unknownIds.delete(id);
      } catch (error) {
        if (isRetriable(error)) throw error;
        const reason =
          errorCode(error) === ErrorCodes.DECODE_UNKNOWN_SCHEMA
            ? (error as RoundhouseError)
            : new RoundhouseError(ErrorCodes.DECODE_UNKNOWN_SCHEMA, `schema id ${id} could not be used: ${(error as Error).message}`, { context: { id }, cause: error });
        this.unknownIds.set(id, { at: now, error: reason });
      }
    }
  }

  /** The Type of a subject's latest schema (null: no version yet); for checks at start-up, not per message. */
  async latestType(subject: string): Promise<avro.Type | null> {
    const schema = await this.registry.latestSchema(subject);
    return schema === null ? null : avro.Type.forSchema(JSON.parse(schema) as avro.Schema, typeOptions());
  }

  /** The writer's Type for an id, if resolved. */
  cachedType(schemaId: number): avro.Type | undefined {
    return this.writerTypes.get(schemaId);
  }

  private writerType(schemaId: number): avro.Type {
    const type = this.writerTypes.get(schemaId);
    if (type) return type;
    const unknown = this.unknownIds.get(schemaId);
    if (unknown) throw unknown.error;
    throw new RoundhouseError(ErrorCodes.DECODE_UNKNOWN_SCHEMA, `schema id ${schemaId} was not resolved (call prepare() for the batch first)`, {
      context: { id: schemaId },
    });
  }

  /** Decode any record with its writer's own schema (user-owned input topics). */
  decodeGeneric(buffer: Buffer | null): GenericRecord {
    const { schemaId, body } = parseWireHeader(buffer);
    const type = this.writerType(schemaId);
    try {
      return { schemaId, type, value: type.fromBuffer(body) };
    } catch (error) {
      throw new RoundhouseError(ErrorCodes.DECODE_BODY, `Avro body does not match schema id ${schemaId}: ${(error as Error).message}`, {
        context: { id: schemaId },
        cause: error,
      });
    }
  }

  /**
   * A reader for a platform event: data written with any compatible version of the
   * schema is resolved into `readerSchema`, then `validate` narrows it to T.
   */
  reader<T>(readerSchema: string | object, validate: (value: unknown) => T): AvroReader<T> {
    const readerType = avro.Type.forSchema(
      (typeof readerSchema === 'string' ? JSON.parse(readerSchema) : readerSchema) as avro.Schema,
      typeOptions(),
    );
    const resolvers = new Map<number, ReturnType<avro.Type["createResolver"]> | null>();
    return {
      decode: (buffer) => {
        const { schemaId, body } = parseWireHeader(buffer);
        let resolver = resolvers.get(schemaId);
        if (resolver === undefined) {
          const writer = this.writerType(schemaId);
          try {
            resolver = writer.equals(readerType) ? null : readerType.createResolver(writer);
          } catch (error) {
            throw new RoundhouseError(ErrorCodes.DECODE_BODY, `schema id ${schemaId} cannot be read as ${readerType.name ?? 'the reader schema'}: ${(error as Error).message}`, {
              context: { id: schemaId },
              cause: error,
            });
          }
          resolvers.set(schemaId, resolver);
        }
        let value: unknown;
        try {
          value = resolver === null ? readerType.fromBuffer(body) : readerType.fromBuffer(body, resolver);
        } catch (error) {
          throw new RoundhouseError(ErrorCodes.DECODE_BODY, `Avro body does not match schema id ${schemaId}: ${(error as Error).message}`, {
            context: { id: schemaId },
            cause: error,
          });
        }
        return validate(value);
      },
    };
  }
}
