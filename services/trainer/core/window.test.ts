import { namesTopic, rangesFor, toOffsetRanges } from './window';

describe('rangesFor', () => {
  const ends = new Map([[1, '50'], [0, '100']]);

  it('uses the spec ranges of the topic when it names any', () => {
    const given = [
      { topic: 'f', partition: 1, startOffset: 5, endOffset: 9 },
      { topic: 'l', partition: 0, startOffset: 1, endOffset: 2 },
      { topic: 'f', partition: 0, startOffset: 0, endOffset: 3 },
    ];
    expect(namesTopic(given, 'f')).toBe(true);
    expect(rangesFor('f', given, null, ends)).toEqual([given[2], given[0]]);
  });

  it('otherwise every partition from the time offset (or 0) to its end', () => {
    expect(rangesFor('f', [], new Map([[0, '40'], [1, '50']]), ends)).toEqual([
      { topic: 'f', partition: 0, startOffset: 40, endOffset: 100 },
      { topic: 'f', partition: 1, startOffset: 50, endOffset: 50 },
    ]);
    expect(rangesFor('f', [], null, ends).map((r) => r.startOffset)).toEqual([0, 0]);
  });

  it('never starts after the end', () => {
    expect(rangesFor('f', [], new Map([[0, '120']]), new Map([[0, '100']]))).toEqual([{ topic: 'f', partition: 0, startOffset: 100, endOffset: 100 }]);
  });

  it('toOffsetRanges keeps offsets as decimal strings', () => {
    expect(toOffsetRanges([{ topic: 'f', partition: 2, startOffset: 7, endOffset: 9 }])).toEqual([{ partition: 2, startOffset: '7', endOffset: '9' }]);
  });
});
