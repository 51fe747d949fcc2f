import { gzipSync } from 'node:zlib';
import { parseHoldout, type HoldoutLimits } from './holdout';
import { DEFAULT_ARTIFACT_LIMITS, MAX_HOLDOUT_LINE_BYTES } from './limits';
import { gzipBomb } from './testing/fixtures';

const gz = (lines: readonly unknown[]): Buffer => gzipSync(Buffer.from(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')));
const MiB = 1024 * 1024;
const limits: HoldoutLimits = DEFAULT_ARTIFACT_LIMITS;

describe('parseHoldout', () => {
  it.each<[string, unknown, { x: number }, number]>([
    ['the trainer format', { eventId: 'e', eventTime: 1, label: 1, record: { x: 2 } }, { x: 2 }, 1],
    ['features instead of record', { features: { x: 3 }, label: 0 }, { x: 3 }, 0],
    ['a flat row with the catalog label field', { x: 4, is_fraud: true }, { x: 4 }, 1],
    ['a flat row with "label"', { x: 5, label: false }, { x: 5 }, 0],
  ])('reads %s', async (_name, line, row, label) => {
    const holdout = await parseHoldout(gz([line, '']), 'is_fraud', limits);
    expect(holdout.rows[0]).toMatchObject(row);
    expect(Array.from(holdout.labels)).toEqual([label]);
  });

  it.each<[string, readonly unknown[], RegExp]>([
    ['a line that is not JSON', ['{"label":1}', 'nope'], /line 2: not JSON/],
    ['a label that is not 0/1', [{ record: {}, label: 2 }], /line 1: label is 2/],
    ['a missing label', [{ x: 1 }], /line 1: label is undefined/],
    ['an array line', [[1, 2]], /not a JSON object/],
  ])('refuses %s (VALIDATION)', async (_name, lines, message) => {
    await expect(parseHoldout(gz(lines), 'is_fraud', limits)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(message) });
  });

  it('refuses what is not gzip, or is cut short (VALIDATION)', async () => {
    await expect(parseHoldout(Buffer.from('{"label":1}\n'), 'is_fraud', limits)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/not gzip/) });
    const whole = gz(Array.from({ length: 100 }, (_, i) => ({ label: i % 2, record: { x: i } })));
    await expect(parseHoldout(whole.subarray(0, whole.length - 20), 'is_fraud', limits)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('reads a row whose UTF-8 straddles decompressed chunks, and lines split across them', async () => {
    const wide = { label: 1, record: { name: 'é'.repeat(40_000), x: 1 } };
    const holdout = await parseHoldout(gz([wide, { label: 0, record: { x: 2 } }, '']), 'is_fraud', limits);
    expect(holdout.rows).toEqual([wide.record, { x: 2 }]);
  });
});

describe('parseHoldout bounds (issue 14: a 1 MB holdout expanding to 1 GiB added 2 GB of RSS)', () => {
  it('stops decompressing at maxHoldoutBytes: a bomb expanding to 1 GiB is refused without reaching its end', async () => {
    const file = gzipBomb(1024, { poisoned: true });
    expect(file.length).toBeLessThan(3 * MiB);
    const error = await parseHoldout(file, 'is_fraud', { ...limits, maxHoldoutBytes: 16 * MiB }, 'mem://a/holdout.jsonl.gz').catch((e: unknown) => e);
    // A reader that went on would have hit the corrupt last member (VALIDATION, not gzip).
    expect(error).toMatchObject({
      code: 'ARTIFACT_INTEGRITY',
      retriable: false,
      message: `mem://a/holdout.jsonl.gz: expands past ${16 * MiB} bytes; not read further (raise EVALUATOR_MAX_HOLDOUT_MB if it is genuine)`,
    });
  });

  it('at the default bound too (256 MiB), and reads a bomb that stays under it', async () => {
    await expect(parseHoldout(gzipBomb(300), 'is_fraud', limits)).rejects.toMatchObject({ code: 'ARTIFACT_INTEGRITY', message: expect.stringMatching(/expands past 268435456 bytes/) });
    expect((await parseHoldout(gzipBomb(4), 'is_fraud', { ...limits, maxHoldoutBytes: 4 * MiB })).rows).toEqual([]);
  });

  it('refuses more than maxHoldoutRows rows', async () => {
    const lines = Array.from({ length: 11 }, (_, i) => ({ label: i % 2, record: { x: i } }));
    expect((await parseHoldout(gz(lines.slice(0, 10)), 'is_fraud', { ...limits, maxHoldoutRows: 10 })).rows).toHaveLength(10);
    await expect(parseHoldout(gz(lines), 'is_fraud', { ...limits, maxHoldoutRows: 10 })).rejects.toMatchObject({
      code: 'ARTIFACT_INTEGRITY',
      message: expect.stringMatching(/more than 10 rows; not read further \(raise EVALUATOR_MAX_HOLDOUT_ROWS/),
    });
  });

  it('refuses a row with more than maxHoldoutColumns fields', async () => {
    const record = { a: 1, b: 2, c: 3, d: 4 };
    expect((await parseHoldout(gz([{ label: 1, record }]), 'is_fraud', { ...limits, maxHoldoutColumns: 4 })).rows).toEqual([record]);
    await expect(parseHoldout(gz([{ label: 1, record }, { label: 0, record: { ...record, e: 5 } }]), 'is_fraud', { ...limits, maxHoldoutColumns: 4 })).rejects.toMatchObject({
      code: 'ARTIFACT_INTEGRITY',
      message: expect.stringMatching(/line 2 has more than 4 fields.*EVALUATOR_MAX_HOLDOUT_COLUMNS/),
    });
  });

  it('refuses a line longer than MAX_HOLDOUT_LINE_BYTES, ended or not, without buffering it further', async () => {
    const line = `{"label":1,"record":{"x":"${'y'.repeat(MAX_HOLDOUT_LINE_BYTES)}"}}`;
    for (const text of [`${line}\n`, line, 'y'.repeat(64 * MiB)]) {
      await expect(parseHoldout(gzipSync(Buffer.from(text)), 'is_fraud', limits)).rejects.toMatchObject({ code: 'ARTIFACT_INTEGRITY', message: expect.stringMatching(/line 1 is longer than 1048576 bytes/) });
    }
  });
});
