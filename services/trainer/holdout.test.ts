import { gzipSync } from 'node:zlib';
import { ErrorCodes } from '../../lib/errors';
import { categoryOf } from '../../lib/model';
import { decodeHoldout, encodeHoldout, toJsonValue } from './holdout';

describe('holdout.jsonl.gz', () => {
  it('round-trips rows; bytes become hex (as lib/model reads them), non-finite numbers null', () => {
    const rows = [
      { eventId: 'a', eventTime: 1, label: 1 as const, record: { amount: 12.5, device: Buffer.from([0xab, 0x01]), n: 3n, missing: null, nan: NaN, nested: { x: [1, 'y'] } } },
      { eventId: 'b', eventTime: 2, label: 0 as const, record: {} },
    ];
    const back = decodeHoldout(encodeHoldout(rows));
    expect(back).toEqual([
      { eventId: 'a', eventTime: 1, label: 1, record: { amount: 12.5, device: 'ab01', n: 3, missing: null, nan: null, nested: { x: [1, 'y'] } } },
      { eventId: 'b', eventTime: 2, label: 0, record: {} },
    ]);
    expect(categoryOf(Buffer.from([0xab, 0x01]))).toBe(toJsonValue(Buffer.from([0xab, 0x01])));
    expect(decodeHoldout(encodeHoldout([]))).toEqual([]);
  });

  it.each([
    ['not gzip', Buffer.from('plain'), /not gzip/],
    ['not JSON', gzipSync('{\n'), /line 1: not JSON/],
    ['a bad label', gzipSync('{"eventId":"a","eventTime":1,"label":2,"record":{}}\n'), /line 1: label must be 0 or 1/],
    ['no record', gzipSync('{"eventId":"a","eventTime":1,"label":0}\n'), /record must be an object/],
  ])('refuses %s', (_what, data, message) => {
    expect(() => decodeHoldout(data)).toThrow(expect.objectContaining({ code: ErrorCodes.VALIDATION, message: expect.stringMatching(message) }));
  });
});
