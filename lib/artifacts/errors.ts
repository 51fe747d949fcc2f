import { ErrorCodes, RoundhouseError } from '../errors';

/**
 * ARTIFACT_INTEGRITY: an object is not what its manifest says (digest, size),
 * or is larger than the reader allows. Never retriable: the bytes will not
 * change by reading them again. The message names the object.
 */
export function integrityError(objectUri: string, why: string, context: Record<string, string | number> = {}): RoundhouseError {
  return new RoundhouseError(ErrorCodes.ARTIFACT_INTEGRITY, `${objectUri}: ${why}`, { retriable: false, context: { object: objectUri, ...context } });
}

/** A read refused because the object is larger than `maxBytes`; `bytes` when the store knows it. */
export function tooLargeError(objectUri: string, bytes: number | null, maxBytes: number): RoundhouseError {
  const why = bytes === null ? `more than the ${maxBytes} bytes expected; not read further` : `${bytes} bytes, more than the ${maxBytes} expected; not read`;
  return integrityError(objectUri, why, { maxBytes });
}
