import { createHash } from 'node:crypto';
import { ErrorCodes, RoundhouseError } from '../errors';

/**
 * Path segments from data. A family member id is `<family>.<segment value>` and
 * the value comes from feature records, so it may hold "/", "..", "#", "?",
 * "%", spaces or any Unicode. Put verbatim into an artifact directory, `/../`
 * climbed out of the root and `shop#1`, `shop#2`, `shop?x` all became the same
 * file:// directory (a URL parser drops what follows '#' or '?') (issue 14).
 *
 * The encoding: each UTF-8 byte outside [A-Za-z0-9._-] becomes `~XX` (two
 * upper-case hex digits), '~' included, and a name made only of dots has its
 * dots encoded (`..` → `~2E~2E`). It is percent-encoding with '~' as the escape
 * character: '~' is unreserved in URIs (RFC 3986), so no layer rewrites it on
 * the way to the disk or the object key, whereas fileURLToPath decodes a '%'
 * (and refuses an encoded '/') and form decoders turn '+' into a space. The
 * result is ASCII, so Unicode normalisation on a file system cannot merge two
 * values; it is case-sensitive, as Linux file systems and S3 are.
 *
 * Distinct values give distinct segments, and decodePathSegment reverses it.
 * A value whose encoding is longer than SEGMENT_MAX (a file name is at most 255
 * bytes) is cut to a readable prefix followed by `~~` and 32 hex digits of its
 * SHA-256: still distinct, no longer reversible (`~~` never occurs in the
 * reversible form, where every '~' is followed by two hex digits).
 */

export const SEGMENT_MAX = 200;
const HASHED_PREFIX = 160;
const HASH_HEX = 32;

const SAFE_BYTE = /^[A-Za-z0-9._-]$/;
// With the u flag this matches only surrogates that are not part of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const invalid = (message: string, value: string): RoundhouseError =>
  new RoundhouseError(ErrorCodes.VALIDATION, message, { retriable: false, context: { value: value.slice(0, 100) } });

export function encodePathSegment(value: string): string {
  if (value === '') throw invalid('an empty value cannot name a directory', value);
  // Buffer.from would write U+FFFD for any lone surrogate, so two of them would meet.
  if (LONE_SURROGATE.test(value)) throw invalid(`${JSON.stringify(value.slice(0, 100))} is not well-formed Unicode (a lone surrogate)`, value);
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && SAFE_BYTE.test(char) ? char : `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (/^\.+$/.test(out)) out = out.replace(/\./g, '~2E');
  if (out.length <= SEGMENT_MAX) return out;
  // Cut at an escape boundary so the prefix stays decodable by eye.
  let cut = HASHED_PREFIX;
  const tilde = out.lastIndexOf('~', cut - 1);
  if (tilde > cut - 3) cut = tilde;
  return `${out.slice(0, cut)}~~${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, HASH_HEX)}`;
}

/** The value an encoded segment came from; null for a hashed (long) one, or text this encoding never produces. */
export function decodePathSegment(segment: string): string | null {
  if (segment.includes('~~') || !/^(?:[A-Za-z0-9._-]|~[0-9A-F]{2})+$/.test(segment)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    if (segment[i] === '~') {
      bytes.push(parseInt(segment.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(segment.charCodeAt(i));
    }
  }
  let value: string;
  try {
    value = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
  // Only the canonical form decodes (`~41` is not how 'A' is written).
  return encodePathSegment(value) === segment ? value : null;
}

/**
 * A run's artifact directory: `<root>/<encoded model id>/<runId>-<nonce>/`. The
 * nonce is the run attempt's (the dispatcher's run record keeps it), so a
 * request id reused after retention, which maps to the same runId, does not
 * write over or read an old run's files. A run recorded before nonces existed
 * (nonce null) keeps `<runId>/`.
 */
export function runArtifactDir(root: string, modelId: string, runId: string, nonce: string | null): string {
  const run = nonce === null ? runId : `${runId}-${nonce}`;
  return `${root.replace(/\/+$/, '')}/${encodePathSegment(modelId)}/${encodePathSegment(run)}/`;
}
