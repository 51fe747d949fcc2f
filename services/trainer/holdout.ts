import { gunzipSync, gzipSync } from 'node:zlib';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import type { Row } from '../../lib/model';

/**
 * holdout.jsonl.gz: the holdout rows, one JSON object per line, gzipped, so the
 * evaluator can score champion and candidate on the same rows:
 *   {"eventId": "...", "eventTime": 1767225600000, "label": 0|1, "record": { …the decoded feature record… }}
 * The record is the whole decoded Avro record (a champion may use fields the
 * candidate does not). JSON has no bytes: Avro bytes/fixed values are written as
 * hex strings, which is how lib/model reads them as categories anyway.
 */
export interface HoldoutRow {
  readonly eventId: string;
  readonly eventTime: number;
  readonly label: 0 | 1;
  readonly record: Row;
}

export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v);
    return out;
  }
  return value;
}

export function encodeHoldout(rows: readonly HoldoutRow[]): Buffer {
  const lines = rows.map((r) => JSON.stringify({ eventId: r.eventId, eventTime: r.eventTime, label: r.label, record: toJsonValue(r.record) }));
  return gzipSync(Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`));
}

export function decodeHoldout(data: Buffer): HoldoutRow[] {
  let text: string;
  try {
    text = gunzipSync(data).toString('utf8');
  } catch (error) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `holdout is not gzip: ${(error as Error).message}`, { retriable: false, cause: error });
  }
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line, i) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (error) {
        throw bad(i, `not JSON: ${(error as Error).message}`);
      }
      const o = json as Partial<HoldoutRow>;
      if (typeof o.eventId !== 'string') throw bad(i, 'eventId must be a string');
      if (typeof o.eventTime !== 'number') throw bad(i, 'eventTime must be a number');
      if (o.label !== 0 && o.label !== 1) throw bad(i, 'label must be 0 or 1');
      if (typeof o.record !== 'object' || o.record === null || Array.isArray(o.record)) throw bad(i, 'record must be an object');
      return { eventId: o.eventId, eventTime: o.eventTime, label: o.label, record: o.record };
    });
}

function bad(line: number, message: string): RoundhouseError {
  return new RoundhouseError(ErrorCodes.VALIDATION, `holdout line ${line + 1}: ${message}`, { retriable: false, context: { line: line + 1 } });
}
