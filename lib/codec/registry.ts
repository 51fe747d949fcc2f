import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ErrorCodes, RoundhouseError } from '../errors';

/**
 * The schema registry in our words: register a schema under a subject (the
 * registry enforces the subject's compatibility rule) and look a schema up by id.
 * Schemas travel as Avro JSON text.
 */
export interface SchemaRegistryClient {
  /** Returns the schema id; throws SCHEMA_INCOMPATIBLE when the subject's rule refuses it. */
  register(subject: string, schema: string): Promise<number>;
  /** Throws DECODE_UNKNOWN_SCHEMA (not retriable) when no schema has that id. */
  schemaById(id: number): Promise<string>;
  /** The subject's latest schema, or null when the subject has no version yet. */
  latestSchema(subject: string): Promise<string | null>;
}

interface HttpishError {
  status?: unknown;
  message?: unknown;
}

const NETWORK_FAILURE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|network|timeout/i;

/** Map the client's errors (mappersmith responses, or its own) onto our codes. */
export function classifyRegistryError(error: unknown, context: Record<string, string | number>): RoundhouseError {
  const { status, message } = (typeof error === 'object' && error !== null ? error : {}) as HttpishError;
  const text = typeof message === 'string' ? message : String(error);
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  if (status === 404 && context.id !== undefined) {
    return new RoundhouseError(ErrorCodes.DECODE_UNKNOWN_SCHEMA, `schema id ${context.id} is not in the registry`, { context, cause: error });
  }
  if (status === 409 || name === 'ConfluentSchemaRegistryCompatibilityError') {
    return new RoundhouseError(ErrorCodes.SCHEMA_INCOMPATIBLE, `registry refused the schema: ${text}`, { context, cause: error });
  }
  if (status === 422 || name === 'ConfluentSchemaRegistryInvalidSchemaError' || name === 'ConfluentSchemaRegistryArgumentError') {
    return new RoundhouseError(ErrorCodes.VALIDATION, `registry rejected the schema as invalid: ${text}`, { context, cause: error });
  }
  if (status === 401 || status === 403) {
    return new RoundhouseError(ErrorCodes.CONFIG_INVALID, `registry refused our credentials (HTTP ${status}); check SCHEMA_REGISTRY_USERNAME/PASSWORD`, { context, cause: error });
  }
  // mappersmith reports a refused connection as a client error (400) with the
  // socket error as its message; everything else left here is a server fault.
  if (typeof status !== 'number' || status >= 500 || status === 429 || NETWORK_FAILURE.test(text)) {
    return new RoundhouseError(ErrorCodes.REGISTRY_UNAVAILABLE, `schema registry unavailable: ${text}`, { context, cause: error });
  }
  return new RoundhouseError(ErrorCodes.INTERNAL, `schema registry error (HTTP ${status}): ${text}`, { context, cause: error });
}

export interface ConfluentRegistryOptions {
  readonly url: string;
  readonly auth?: { readonly username: string; readonly password: string };
  readonly clientId?: string;
}

/** Adapter over @kafkajs/confluent-schema-registry (Confluent, Apicurio ccompat, Karapace). */
export class ConfluentSchemaRegistryClient implements SchemaRegistryClient {
  private readonly client: ConfluentClient;

  constructor(options: ConfluentRegistryOptions) {
    this.client = new ConfluentClient({
      host: options.url,
      clientId: options.clientId ?? 'roundhouse',
      ...(options.auth ? { auth: options.auth } : {}),
      retry: { retries: 2, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 2 },
    });
  }

  async register(subject: string, schema: string): Promise<number> {
    try {
      const { id } = await this.client.register({ type: SchemaType.AVRO, schema }, { subject });
      return id;
    } catch (error) {
      throw classifyRegistryError(error, { subject });
    }
  }

  async latestSchema(subject: string): Promise<string | null> {
    let id: number;
    try {
      id = await this.client.getLatestSchemaId(subject);
    } catch (error) {
      // 40401: subject not found (Confluent and Apicurio's ccompat API alike).
      const { status } = (typeof error === 'object' && error !== null ? error : {}) as HttpishError;
      if (status === 404) return null;
      throw classifyRegistryError(error, { subject });
    }
    return this.schemaById(id);
  }

  async schemaById(id: number): Promise<string> {
    try {
      const found = (await this.client.getSchema(id)) as { schema?: (opts?: object) => unknown };
      if (typeof found.schema !== 'function') {
        throw new RoundhouseError(ErrorCodes.DECODE_UNKNOWN_SCHEMA, `schema id ${id} is not an Avro schema`, { context: { id } });
      }
      return JSON.stringify(found.schema({ exportAttrs: true }));
    } catch (error) {
      if (error instanceof RoundhouseError) throw error;
      throw classifyRegistryError(error, { id });
    }
  }
}
