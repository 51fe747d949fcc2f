/**
 * Typed errors: a stable code to match on, a retriable flag that tells callers
 * whether to back off and retry or to give up (dead-letter, fail the run), the
 * context that locates the problem (topic, partition, offset, runId, path) and the
 * cause. Match on `code`, never on `instanceof`: jest's module registry can load
 * this file twice, and two copies of a class do not recognise each other.
 */

export const ErrorCodes = {
  // Input that will never become valid by retrying.
  DECODE_MAGIC_BYTE: 'DECODE_MAGIC_BYTE',
  DECODE_UNKNOWN_SCHEMA: 'DECODE_UNKNOWN_SCHEMA',
  DECODE_BODY: 'DECODE_BODY',
  VALIDATION: 'VALIDATION',
  CONFIG_INVALID: 'CONFIG_INVALID',
  CATALOG_INVALID: 'CATALOG_INVALID',
  SCHEMA_INCOMPATIBLE: 'SCHEMA_INCOMPATIBLE',
  BAD_REQUEST: 'BAD_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  NO_DATA: 'NO_DATA',
  /** An event time too far ahead of its partition's watermark and record timestamp, or behind a closed window. */
  EVENT_TIME_OUT_OF_RANGE: 'EVENT_TIME_OUT_OF_RANGE',
  /** A record (or one partition's share of a send) above the broker's max.message.bytes: splitting, not retrying, fixes it. */
  RECORD_TOO_LARGE: 'RECORD_TOO_LARGE',
  /** An artifact object that does not match its manifest (digest, size) or is larger than allowed. */
  ARTIFACT_INTEGRITY: 'ARTIFACT_INTEGRITY',
  /**
   * A read below a partition's log-start offset (retention or deleteRecords removed
   * those records): the broker refuses such a fetch; read from startOffsets instead.
   */
  OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
  // Infrastructure faults: retry with backoff.
  KAFKA_UNAVAILABLE: 'KAFKA_UNAVAILABLE',
  /**
   * A transactional commit refused because a newer member initialised this
   * partition's transactional id (a rebalance moved the partition): nothing was
   * committed; retry once the group has assigned partitions again.
   */
  FENCED: 'FENCED',
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  KUBERNETES_UNAVAILABLE: 'KUBERNETES_UNAVAILABLE',
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  TIMEOUT: 'TIMEOUT',
  // A bug or an unclassified failure: not retried automatically.
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export type ErrorContext = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface RoundhouseErrorOptions {
  readonly retriable?: boolean;
  readonly context?: ErrorContext;
  readonly cause?: unknown;
}

const RETRIABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.KAFKA_UNAVAILABLE,
  ErrorCodes.FENCED,
  ErrorCodes.REGISTRY_UNAVAILABLE,
  ErrorCodes.KUBERNETES_UNAVAILABLE,
  ErrorCodes.STORAGE_UNAVAILABLE,
  ErrorCodes.TIMEOUT,
]);

export class RoundhouseError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: ErrorContext;
  /** Brand checked by isRoundhouseError, so detection survives duplicate module copies. */
  readonly isRoundhouseError = true as const;

  constructor(code: ErrorCode, message: string, options: RoundhouseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RoundhouseError';
    this.code = code;
    this.retriable = options.retriable ?? RETRIABLE_BY_DEFAULT.has(code);
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      context: this.context,
      cause: this.cause instanceof Error ? { name: this.cause.name, message: this.cause.message } : this.cause,
    };
  }
}

export function isRoundhouseError(err: unknown): err is RoundhouseError {
  return typeof err === 'object' && err !== null && (err as { isRoundhouseError?: unknown }).isRoundhouseError === true;
}

/** The code of any thrown value: ours, or INTERNAL for anything we did not classify. */
export function errorCode(err: unknown): ErrorCode {
  return isRoundhouseError(err) ? err.code : ErrorCodes.INTERNAL;
}

/**
 * Whether retrying may help. Our errors say so themselves; kafkajs marks its own
 * errors with `retriable`; anything else is treated as a bug (not retriable).
 */
export function isRetriable(err: unknown): boolean {
  if (isRoundhouseError(err)) return err.retriable;
  if (typeof err === 'object' && err !== null && 'retriable' in err) {
    return (err as { retriable?: unknown }).retriable === true;
  }
  return false;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
