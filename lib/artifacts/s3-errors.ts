import { ErrorCodes, RoundhouseError, errorMessage } from '../errors';

/**
 * What an S3 failure means to us, after the SDK's own retries (maxAttempts)
 * gave up. The retriable codes are the ones the SDK's standard retry strategy
 * retries (@smithy/core service-error-classification): throttling, 5xx,
 * timeouts, connection resets. The consumer then backs off and redelivers;
 * the trainer exits RETRIABLE so the Job tries again.
 */

const THROTTLING = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
]);
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'ServiceUnavailable', 'ExpiredToken', 'RequestTimeTooSkewed']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const NOT_FOUND = new Set(['NoSuchKey', 'NotFound']);
/** Retrying cannot help: the credentials, the policy or the bucket must change. */
const PERMANENT = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AllAccessDisabled', 'AccountProblem', 'InvalidBucketName', 'NoSuchBucket']);

interface SdkErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly Code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

export interface S3Verdict {
  readonly code: typeof ErrorCodes.NOT_FOUND | typeof ErrorCodes.STORAGE_UNAVAILABLE | typeof ErrorCodes.CONFIG_INVALID;
  readonly retriable: boolean;
  /** The S3 error code or Node error code, for the message and context. */
  readonly s3Code: string;
  readonly httpStatus: number | null;
}

/** Pure: classify a thrown SDK (or Node network) error. */
export function classifyS3Error(error: unknown): S3Verdict {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode ?? null;
  const s3Code = e.Code ?? (typeof e.code === 'string' ? e.code : undefined) ?? e.name ?? 'Error';
  const names = [e.name, e.Code, e.code].filter((n): n is string => typeof n === 'string');
  const has = (set: ReadonlySet<string>): boolean => names.some((n) => set.has(n));
  const verdict = (code: S3Verdict['code'], retriable: boolean): S3Verdict => ({ code, retriable, s3Code, httpStatus: status });

  if (has(NOT_FOUND) || (status === 404 && !names.includes('NoSuchBucket'))) return verdict(ErrorCodes.NOT_FOUND, false);
  if (/Region is missing/i.test(errorMessage(error))) return verdict(ErrorCodes.CONFIG_INVALID, false);
  // No provider in the default chain had credentials: a deployment problem, not a blip.
  if (names.includes('CredentialsProviderError')) return verdict(ErrorCodes.STORAGE_UNAVAILABLE, false);
  if (has(THROTTLING) || has(TRANSIENT) || has(NETWORK)) return verdict(ErrorCodes.STORAGE_UNAVAILABLE, true);
  if (status === 429 || (status !== null && status >= 500)) return verdict(ErrorCodes.STORAGE_UNAVAILABLE, true);
  if (has(PERMANENT) || (status !== null && status >= 400)) return verdict(ErrorCodes.STORAGE_UNAVAILABLE, false);
  if (e.$retryable !== undefined) return verdict(ErrorCodes.STORAGE_UNAVAILABLE, true);
  // No HTTP status at all: the request never got an answer (socket, DNS, abort).
  return verdict(ErrorCodes.STORAGE_UNAVAILABLE, status === null);
}

/** The RoundhouseError for a failed S3 call on `objectUri` ("reading", "writing", …). */
export function s3Error(error: unknown, action: string, objectUri: string): RoundhouseError {
  const v = classifyS3Error(error);
  const status = v.httpStatus === null ? '' : ` (HTTP ${v.httpStatus})`;
  const hint =
    v.code === ErrorCodes.NOT_FOUND
      ? ''
      : v.s3Code === 'NoSuchBucket'
        ? '; create the bucket or fix ARTIFACT_ROOT'
        : v.s3Code === 'CredentialsProviderError'
          ? '; no AWS credentials found (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a shared config profile, or IRSA web identity)'
          : v.code === ErrorCodes.CONFIG_INVALID
            ? '; set AWS_REGION'
            : v.retriable
              ? '; retrying'
              : '';
  const message = v.code === ErrorCodes.NOT_FOUND ? `artifact file ${objectUri} does not exist` : `${action} ${objectUri} failed: ${v.s3Code}${status}: ${errorMessage(error)}${hint}`;
  return new RoundhouseError(v.code, message, { retriable: v.retriable, context: { object: objectUri, s3Code: v.s3Code, httpStatus: v.httpStatus }, cause: error });
}
