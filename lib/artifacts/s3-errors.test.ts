import { ErrorCodes } from '../errors';
import { classifyS3Error, s3Error } from './s3-errors';

const sdk = (name: string, status?: number, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(`${name} happened`), { name, ...(status !== undefined ? { $metadata: { httpStatusCode: status } } : {}), ...extra });
const net = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code });

describe('classifyS3Error', () => {
  it.each<[string, unknown, string, boolean]>([
    ['NoSuchKey', sdk('NoSuchKey', 404), ErrorCodes.NOT_FOUND, false],
    ['HEAD 404 (NotFound)', sdk('NotFound', 404), ErrorCodes.NOT_FOUND, false],
    ['NoSuchBucket', sdk('NoSuchBucket', 404), ErrorCodes.STORAGE_UNAVAILABLE, false],
    ['SlowDown 503', sdk('SlowDown', 503), ErrorCodes.STORAGE_UNAVAILABLE, true],
    ['Throttling without status', sdk('ThrottlingException'), ErrorCodes.STORAGE_UNAVAILABLE, true],
    ['429', sdk('TooManyRequests', 429), ErrorCodes.STORAGE_UNAVAILABLE, true],
    ['InternalError 500', sdk('InternalError', 500), ErrorCodes.STORAGE_UNAVAILABLE, true],
    ['an unnamed 502', sdk('Unknown', 502), ErrorCodes.STORAGE_UNAVAILABLE, true],
    ['RequestTimeout 400', sdk('RequestTimeout', 400), ErrorCodes.STORAGE_UNAVAILABLE, true],
    ['ExpiredToken 400 (IRSA refreshes it)', sdk('ExpiredToken', 400), ErrorCodes.STORAGE_UNAVAILABLE, true],
    ['ECONNREFUSED', net('ECONNREFUSED'), ErrorCodes.STORAGE_UNAVAILABLE, true],
    ['ECONNRESET', net('ECONNRESET'), ErrorCodes.STORAGE_UNAVAILABLE, true],
    ['TimeoutError', sdk('TimeoutError'), ErrorCodes.STORAGE_UNAVAILABLE, true],
    ['AccessDenied 403', sdk('AccessDenied', 403), ErrorCodes.STORAGE_UNAVAILABLE, false],
    ['InvalidAccessKeyId 403', sdk('InvalidAccessKeyId', 403), ErrorCodes.STORAGE_UNAVAILABLE, false],
    ['SignatureDoesNotMatch 403', sdk('SignatureDoesNotMatch', 403), ErrorCodes.STORAGE_UNAVAILABLE, false],
    ['InvalidArgument 400', sdk('InvalidArgument', 400), ErrorCodes.STORAGE_UNAVAILABLE, false],
    ['no credentials anywhere', sdk('CredentialsProviderError'), ErrorCodes.STORAGE_UNAVAILABLE, false],
    ['no region', new Error('Region is missing'), ErrorCodes.CONFIG_INVALID, false],
    ['marked $retryable by the SDK', sdk('Odd', undefined, { $retryable: { throttling: false } }), ErrorCodes.STORAGE_UNAVAILABLE, true],
  ])('%s → %s, retriable %s', (_what, error, code, retriable) => {
    expect(classifyS3Error(error)).toMatchObject({ code, retriable });
  });
});

describe('s3Error', () => {
  it('names the object, the S3 code and the status, and says what to do', () => {
    const e = s3Error(sdk('NoSuchBucket', 404), 'writing', 's3://b/p/m/r/model.json');
    expect(e).toMatchObject({ code: ErrorCodes.STORAGE_UNAVAILABLE, retriable: false, context: { object: 's3://b/p/m/r/model.json', s3Code: 'NoSuchBucket', httpStatus: 404 } });
    expect(e.message).toMatch(/^writing s3:\/\/b\/p\/m\/r\/model\.json failed: NoSuchBucket \(HTTP 404\): .*create the bucket or fix ARTIFACT_ROOT$/);
    expect(s3Error(sdk('NoSuchKey', 404), 'reading', 's3://b/k').message).toBe('artifact file s3://b/k does not exist');
    expect(s3Error(sdk('CredentialsProviderError'), 'reading', 's3://b/k').message).toMatch(/no AWS credentials found/);
  });
});
