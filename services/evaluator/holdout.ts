import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { integrityError } from '../../lib/artifacts/errors';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import type { Row } from '../../lib/model';
import type { Holdout } from './core/rescore';
import { MAX_HOLDOUT_LINE_BYTES, type ArtifactLimits } from './limits';

/**
 * holdout.jsonl.gz: one JSON object per line. The built-in trainer writes
 * `{"eventId", "eventTime", "label": 0|1, "record": {...the feature record...}}`
 * (services/trainer/holdout.ts); `features` is accepted for `record`, and a flat
 * row holding the features and the label under the catalog's label field (or
 * "label") is accepted from custom trainers. Labels are 0/1 or booleans.
 *
 * Decompressed as a stream and parsed line by line, so memory follows the rows
 * kept, not the expansion: past `maxHoldoutBytes` decompressed, `maxHoldoutRows`
 * rows, `maxHoldoutColumns` fields in a row or MAX_HOLDOUT_LINE_BYTES in a line
 * the stream is destroyed and the holdout refused with ARTIFACT_INTEGRITY
 * naming the bound and its setting (a gzip bomb is a fact about the artifact).
 * A line that is not a row is VALIDATION, as before.
 */
export type HoldoutLimits = Pick<ArtifactLimits, 'maxHoldoutBytes' | 'maxHoldoutRows' | 'maxHoldoutColumns'>;

/** `objectUri` names the file in errors. */
export async function parseHoldout(gzipped: Buffer, labelField: string, limits: HoldoutLimits, objectUri = 'holdout.jsonl.gz'): Promise<Holdout> {
  const tooMuch = (what: string, setting: string | null, context: Record<string, number>): RoundhouseError =>
    integrityError(objectUri, `${what}; not read further${setting === null ? '' : ` (raise ${setting} if it is genuine)`}`, context);
  const rows: Row[] = [];
  const labels: number[] = [];
  let lineNo = 0;
  const tooLong = (line: string, at: number): RoundhouseError | null =>
    Buffer.byteLength(line) > MAX_HOLDOUT_LINE_BYTES ? tooMuch(`line ${at} is longer than ${MAX_HOLDOUT_LINE_BYTES} bytes`, null, { line: at }) : null;
  const take = (line: string): void => {
    lineNo++;
    const long = tooLong(line, lineNo);
    if (long) throw long;
    if (line.trim() === '') return;
    if (rows.length >= limits.maxHoldoutRows) throw tooMuch(`more than ${limits.maxHoldoutRows} rows`, 'EVALUATOR_MAX_HOLDOUT_ROWS', { maxRows: limits.maxHoldoutRows });
    const { row, label } = parseLine(line, lineNo, labelField);
    // The line is at most MAX_HOLDOUT_LINE_BYTES, so counting its keys is cheap.
    if (Object.keys(row).length > limits.maxHoldoutColumns) {
      throw tooMuch(`line ${lineNo} has more than ${limits.maxHoldoutColumns} fields`, 'EVALUATOR_MAX_HOLDOUT_COLUMNS', { line: lineNo, maxColumns: limits.maxHoldoutColumns });
    }
    rows.push(row);
    labels.push(label);
  };

  const gunzip = createGunzip();
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let total = 0;
  gunzip.end(gzipped);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limits.maxHoldoutBytes) {
        throw tooMuch(`expands past ${limits.maxHoldoutBytes} bytes`, 'EVALUATOR_MAX_HOLDOUT_MB', { maxBytes: limits.maxHoldoutBytes });
      }
      const lines = (pending + decoder.write(chunk)).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) take(line);
      // The line still open: not buffered past the bound either.
      const long = tooLong(pending, lineNo + 1);
      if (long) throw long;
    }
  } catch (error) {
    gunzip.destroy();
    const code = (error as { code?: unknown }).code;
    if (code === ErrorCodes.ARTIFACT_INTEGRITY || code === ErrorCodes.VALIDATION) throw error;
    throw new RoundhouseError(ErrorCodes.VALIDATION, `holdout is not gzip: ${(error as Error).message}`, { retriable: false, cause: error });
  }
  take(pending + decoder.end());
  return { rows, labels: Uint8Array.from(labels) };
}

function parseLine(line: string, lineNo: number, labelField: string): { row: Row; label: number } {
  const bad = (why: string): RoundhouseError => new RoundhouseError(ErrorCodes.VALIDATION, `holdout line ${lineNo}: ${why}`, { retriable: false, context: { line: lineNo } });
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw bad('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not a JSON object');
  const record = value as Record<string, unknown>;
  const inner = record.record ?? record.features;
  const nested = typeof inner === 'object' && inner !== null && !Array.isArray(inner);
  const row = nested ? (inner as Row) : record;
  const label = nested ? (record.label ?? record[labelField]) : (record[labelField] ?? record.label);
  if (label === 1 || label === true) return { row, label: 1 };
  if (label === 0 || label === false) return { row, label: 0 };
  throw bad(`label is ${JSON.stringify(label)}; expected 0, 1, true or false`);
}
