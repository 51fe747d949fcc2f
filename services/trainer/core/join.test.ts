import { joinLabels, mergeLabel, readTimeOf, type FeatureEvent, type LabelState } from './join';

const READ = 1_000_000;
const MATURITY = 100_000;
const HORIZON = READ - MATURITY;
const RULE = { readTime: READ, labelMaturityMs: MATURITY };
const ev = (eventId: string, eventTime: number, extra: Record<string, unknown> = {}): FeatureEvent => ({ eventId, eventTime, row: { event_id: eventId, ...extra } });
const labelsOf = (...ls: [string, boolean, number][]): Map<string, LabelState> => {
  const labels = new Map<string, LabelState>();
  for (const [id, positive, at] of ls) mergeLabel(labels, id, positive, at);
  return labels;
};

describe('joinLabels: a row only when its label state is final at read time', () => {
  // [case, event time, labels seen as [positive, label time], expected row label (null = left out)]
  it.each<[string, number, [boolean, number][], 0 | 1 | null]>([
    ['matured, positive known: 1', HORIZON - 1, [[true, HORIZON]], 1],
    ['matured, negative known: 0', HORIZON - 1, [[false, HORIZON]], 0],
    ['matured, no label: matured negative', HORIZON - 1, [], 0],
    ['matured, a negative then a positive: 1', HORIZON - 1, [[false, HORIZON], [true, READ - 1]], 1],
    ['matured, positive only after the read time: 0 (not known at read time)', HORIZON - 1, [[true, READ]], 0],
    ['at the horizon, no label: left out', HORIZON, [], null],
    ['at the horizon, positive known: left out (young positives bias the holdout)', HORIZON, [[true, HORIZON + 1]], null],
    ['young, negative known: left out', READ - 1, [[false, READ - 1]], null],
    ['young, positive known: left out', READ - 1, [[true, READ - 1]], null],
  ])('%s', (_case, time, seen, expected) => {
    const joined = joinLabels([ev('e1', time)], labelsOf(...seen.map(([p, at]): [string, boolean, number] => ['e1', p, at])), RULE);
    if (expected === null) {
      expect(joined.rows).toHaveLength(0);
      expect(joined.counts.immature).toBe(1);
    } else {
      expect(Array.from(joined.labels)).toEqual([expected]);
      expect(joined.positives).toBe(expected);
    }
  });

  it('counts what it left out and why', () => {
    const events = [ev('old-pos', 1), ev('old-neg', 2), ev('old-none', 3), ev('old-late', 4), ev('young-pos', READ - 10), ev('young-none', READ - 5)];
    const labels = labelsOf(['old-pos', true, 10], ['old-neg', false, 10], ['old-late', true, READ + 5], ['young-pos', true, READ - 1]);
    const joined = joinLabels(events, labels, RULE);
    expect(joined.eventIds).toEqual(['old-pos', 'old-neg', 'old-none', 'old-late']);
    expect(Array.from(joined.labels)).toEqual([1, 0, 0, 0]);
    expect(joined.maturityHorizon).toBe(HORIZON);
    expect(joined.counts).toEqual({ events: 6, duplicates: 0, labelled: 2, maturedUnlabelled: 2, immature: 2, immaturePositives: 1, positivesAfterReadTime: 1 });
  });

  it('the same events and labels give the same rows whatever labels arrived after the read time', () => {
    const events = [ev('a', 1), ev('b', 2), ev('c', READ - 1)];
    const atRead = labelsOf(['a', true, 10]);
    const later = labelsOf(['a', true, 10], ['b', true, READ + 1], ['c', true, READ + 2], ['a', false, READ + 3]);
    const x = joinLabels(events, atRead, RULE);
    const y = joinLabels(events, later, RULE);
    expect([y.eventIds, Array.from(y.labels)]).toEqual([x.eventIds, Array.from(x.labels)]);
  });

  it('mergeLabel keeps the earliest time of each kind; a positive wins over a negative, in either order', () => {
    const a = labelsOf(['e', false, 5], ['e', true, 9], ['e', true, 7]);
    const b = labelsOf(['e', true, 7], ['e', false, 5]);
    expect([a.get('e'), b.get('e')]).toEqual([
      { firstPositiveAt: 7, firstNegativeAt: 5 },
      { firstPositiveAt: 7, firstNegativeAt: 5 },
    ]);
    expect(Array.from(joinLabels([ev('e', 1)], a, RULE).labels)).toEqual([1]);
  });

  it('labels for events outside the window are ignored; duplicates count once (first wins)', () => {
    const labels = labelsOf(['other', true, 10], ['e1', true, 10]);
    const joined = joinLabels([ev('e1', 10, { v: 'first' }), ev('e1', 10, { v: 'second' }), ev('e2', 20)], labels, RULE);
    expect(joined.eventIds).toEqual(['e1', 'e2']);
    expect(joined.rows[0]).toMatchObject({ v: 'first' });
    expect(joined.counts).toMatchObject({ events: 2, duplicates: 1, labelled: 1, maturedUnlabelled: 1, immature: 0 });
  });

  it('orders rows by event time, then event id, whatever the read order', () => {
    const events = [ev('c', 30), ev('b', 10), ev('a', 10), ev('d', 20)];
    const joined = joinLabels(events, new Map(), RULE);
    expect(joined.eventIds).toEqual(['a', 'b', 'd', 'c']);
    expect(Array.from(joined.times)).toEqual([10, 10, 20, 30]);
  });
});

describe('readTimeOf', () => {
  it('is the data window end: carried by the request, the same for every attempt and rerun', () => {
    expect(readTimeOf({ endTime: 1_234 })).toBe(1_234);
  });
});
