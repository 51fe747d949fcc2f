/**
 * Errors of the test-stack harness. Like lib/errors, callers match on `code`, not
 * `instanceof` (jest may load this module twice). Kept apart from lib/errors
 * because these codes describe the developer's machine, not the product.
 */

export const StackErrorCodes = {
  /** A tool the harness needs (java, mvn, docker) is missing or too old. */
  PREREQUISITE_MISSING: 'STACK_PREREQUISITE_MISSING',
  /** Fetching a component into the cache failed. */
  FETCH_FAILED: 'STACK_FETCH_FAILED',
  /** A component did not become ready (exited early, or missed its deadline). */
  START_FAILED: 'STACK_START_FAILED',
  /** Bad ROUNDHOUSE_STACK value or an unreadable state file. */
  CONFIG_INVALID: 'STACK_CONFIG_INVALID',
} as const;

export type StackErrorCode = (typeof StackErrorCodes)[keyof typeof StackErrorCodes];

/** Said whenever a prerequisite is missing: every way to get a stack. */
export const HOW_TO_GET_A_STACK =
  'Install Java 17+ (Apicurio Registry 3.3 itself needs Java 21+; JAVA_HOME, PATH and /usr/lib/jvm are searched) ' +
  'and Maven 3.8+; or set KAFKA_BROKERS and SCHEMA_REGISTRY_URL to an existing stack; ' +
  'or set ROUNDHOUSE_STACK=testcontainers with a running Docker engine.';

export class StackError extends Error {
  readonly code: StackErrorCode;
  readonly isStackError = true as const;

  constructor(code: StackErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StackError';
    this.code = code;
  }
}

export function isStackError(err: unknown): err is StackError {
  return typeof err === 'object' && err !== null && (err as { isStackError?: unknown }).isStackError === true;
}
