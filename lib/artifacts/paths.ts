import { ErrorCodes, RoundhouseError } from '../errors';

/**
 * Naming rules every ArtifactStore applies (file://, s3:// and the in-memory
 * fake alike): a file is a plain name inside its directory, and a directory URI
 * never climbs with "..". For s3:// the object key must also stay under the
 * store's root prefix, so a crafted artifactUri in an event cannot make the
 * evaluator read (or the trainer overwrite) another tenant's objects.
 */

const invalid = (message: string, context: Record<string, string>): RoundhouseError =>
  new RoundhouseError(ErrorCodes.VALIDATION, message, { retriable: false, context });

/** A plain file name: not empty, no separator, not hidden (temp files are), not "." or "..". */
export function checkFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (name === '' || name.includes('/') || name.includes('\\') || name.startsWith('.') || /[\u0000-\u001f]/.test(name)) {
    throw invalid(`invalid artifact file name ${JSON.stringify(name)}: a plain file name is expected`, { name });
  }
  return name;
}

/** The directory URI with exactly one trailing slash, refusing "..", "." and empty path segments after the authority. */
export function checkDirUri(dirUri: string, { allowDot = false }: { allowDot?: boolean } = {}): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(dirUri)?.[0];
  const rest = scheme === undefined ? dirUri : dirUri.slice(scheme.length);
  const segments = rest.replace(/\/+$/, '').split('/');
  // The first segment after "s3://" is the bucket, after "file://" the host ("", "." or a relative dir).
  const problem = segments.some((s) => s === '..' || s.includes('\\'))
    ? 'it contains ".." or a backslash'
    : segments.slice(1).some((s) => s === '' || (!allowDot && s === '.'))
      ? 'it contains an empty or "." path segment'
      : null;
  if (problem !== null) throw invalid(`invalid artifact directory ${JSON.stringify(dirUri)}: ${problem}`, { dirUri });
  return `${dirUri.replace(/\/+$/, '')}/`;
}

export interface S3Root {
  readonly bucket: string;
  /** "" or a key prefix ending in "/". */
  readonly prefix: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** S3's limit on a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/** `s3://bucket/prefix/` → { bucket, prefix: "prefix/" }; CONFIG_INVALID for anything else. */
export function parseS3Root(uri: string): S3Root {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  const bad = (why: string): RoundhouseError =>
    new RoundhouseError(ErrorCodes.CONFIG_INVALID, `invalid s3:// artifact root ${JSON.stringify(uri)}: ${why}`, { retriable: false, context: { uri } });
  if (!match) throw bad('expected s3://bucket/prefix/');
  const bucket = match[1] as string;
  if (!BUCKET.test(bucket)) throw bad(`bucket ${JSON.stringify(bucket)} is not a valid S3 bucket name (3-63 of a-z 0-9 . -)`);
  const path = (match[2] ?? '').replace(/\/+$/, '');
  if (path !== '' && path.split('/').some((s) => s === '' || s === '.' || s === '..' || s.includes('\\'))) {
    throw bad('the prefix has an empty, "." or ".." segment, or a backslash');
  }
  return { bucket, prefix: path === '' ? '' : `${path}/` };
}

/**
 * The object key of `name` in directory `dirUri`, which must be
 * s3://<root bucket>/<root prefix>…/. VALIDATION (not retriable) otherwise.
 */
export function objectKey(root: S3Root, dirUri: string, name: string): string {
  const dir = checkDirUri(dirUri);
  const base = `s3://${root.bucket}/`;
  if (!dir.startsWith(base) || !dir.slice(base.length).startsWith(root.prefix)) {
    throw invalid(`artifact directory ${dirUri} is outside this store's root s3://${root.bucket}/${root.prefix}`, { dirUri });
  }
  const key = `${dir.slice(base.length)}${checkFileName(name)}`;
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw invalid(`object key for ${dirUri}${name} is longer than ${MAX_KEY_BYTES} bytes`, { dirUri, name });
  return key;
}

/** The s3:// URI of a key, for messages. */
export const objectUri = (root: S3Root, key: string): string => `s3://${root.bucket}/${key}`;
