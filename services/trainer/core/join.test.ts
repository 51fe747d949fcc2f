import { joinLabels, mergeLabel, type FeatureEvent } from './join';

const END = 1_000_000;
const MATURITY = 100_000;
const CUTOFF = END - MATURITY;
const ev = (eventId: string, eventTime: number, extra: Record<string, unknown> = {}): FeatureEvent => ({ eventId, eventTime, row: { event_id: eventId, ...extra } });

describe('joinLabels: label maturity', () => {
  // [case, event time, label seen (undefined = none), expected row label (null = left out)]
  it.each<[string, number, boolean | undefined, 0 | 1 | null]>([
    ['old, positive label', CUTOFF - 1, true, 1],
    ['old, negative label', CUTOFF - 1, false, 0],
    ['old, no label: matured negative', CUTOFF - 1, undefined, 0],
    ['at the cutoff, no label: still young', CUTOFF, undefined, null],
    ['young, no label: left out', END - 1, undefined, null],
    ['young, positive label: kept', END - 1, true, 1],
    ['young, negative label: kept (the label is final)', END - 1, false, 0],
  ])('%s', (_case, time, label, expected) => {
    const labels = new Map<string, boolean>();
    if (label !== undefined) labels.set('e1', label);
    const joined = joinLabels([ev('e1', time)], labels, { endTime: END, labelMaturityMs: MATURITY });
    if (expected === null) {
      expect(joined.rows).toHaveLength(0);
      expect(joined.counts.youngUnlabelled).toBe(1);
    } else {
      expect(Array.from(joined.labels)).toEqual([expected]);
      expect(joined.positives).toBe(expected);
    }
  });

  it('a positive wins over a negative for the same event, in either order', () => {
    const a = new Map<string, boolean>();
    mergeLabel(a, 'e', false);
    mergeLabel(a, 'e', true);
    const b = new Map<string, boolean>();
    mergeLabel(b, 'e', true);
    mergeLabel(b, 'e', false);
    expect([a.get('e'), b.get('e')]).toEqual([true, true]);
  });

  it('labels for events outside the window are ignored; duplicates count once (first wins)', () => {
    const labels = new Map([['other', true], ['e1', true]]);
    const joined = joinLabels([ev('e1', 10, { v: 'first' }), ev('e1', 10, { v: 'second' }), ev('e2', 20)], labels, { endTime: END, labelMaturityMs: MATURITY });
    expect(joined.eventIds).toEqual(['e1', 'e2']);
    expect(joined.rows[0]).toMatchObject({ v: 'first' });
    expect(joined.counts).toEqual({ events: 2, duplicates: 1, labelled: 1, maturedUnlabelled: 1, youngUnlabelled: 0 });
  });

  it('orders rows by event time, then event id, whatever the read order', () => {
    const events = [ev('c', 30), ev('b', 10), ev('a', 10), ev('d', 20)];
    const joined = joinLabels(events, new Map(), { endTime: END, labelMaturityMs: MATURITY });
    expect(joined.eventIds).toEqual(['a', 'b', 'd', 'c']);
    expect(Array.from(joined.times)).toEqual([10, 10, 20, 30]);
  });
});
