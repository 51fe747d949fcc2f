import { NO_SLICE } from './ingest';
import type { FeaturePartial } from './partials';
import { SliceAssembler, newSliceState } from './slices';

const MINUTE = 60_000;

function partial(partition: number, closedThrough: number, watermark: number, over: Partial<FeaturePartial> = {}): FeaturePartial {
  const slices = closedThrough === NO_SLICE ? [] : [{ index: closedThrough, total: 10, disabled: [], segments: [{ key: '', count: 10, minTime: 0, maxTime: 0, firstOffset: '0', lastOffset: '9', sketches: {} }] }];
  return { v: 2, kind: 'features', group: 'g', shard: 0, topic: 't', partition, partitions: 3, closedThrough, watermark, caughtUp: false, final: true, slices, ...over };
}

describe('slice assembly across partitions', () => {
  it('waits for every partition, then judges what all of them closed', () => {
    const a = new SliceAssembler(newSliceState(), 5 * MINUTE);
    a.add(partial(0, 4, 5 * MINUTE));
    a.add(partial(1, 6, 7 * MINUTE));
    expect(a.completeSlices()).toEqual([]); // partition 2 never reported: it may be unread, not empty
    a.add(partial(2, 5, 6 * MINUTE));
    expect(a.completeSlices()).toEqual([4]);
  });

  it('rules out a caught-up partition with nothing at all, and one caught up far behind; not one merely behind', () => {
    const cases: [string, FeaturePartial, number[]][] = [
      ['empty and caught up', partial(2, NO_SLICE, NO_SLICE, { caughtUp: true }), [4, 6]],
      ['caught up, 6 min behind (timeout 5)', partial(2, 0, 1 * MINUTE, { caughtUp: true }), [4, 6]],
      ['caught up, 2 min behind', partial(2, 4, 5 * MINUTE, { caughtUp: true }), [4]],
      ['6 min behind, not caught up (lagging)', partial(2, 0, 1 * MINUTE), []],
    ];
    for (const [what, third, expected] of cases) {
      const a = new SliceAssembler(newSliceState(), 5 * MINUTE);
      a.add(partial(0, 6, 7 * MINUTE));
      a.add(partial(1, 4, 5 * MINUTE));
      a.add(partial(1, 6, 7 * MINUTE));
      a.add(third);
      const complete = a.completeSlices().filter((s) => s >= 4);
      expect({ what, complete }).toEqual({ what, complete: expected });
    }
  });

  it('says its inputs are caught up only once every partition\'s last final record said so', () => {
    const a = new SliceAssembler(newSliceState(), 5 * MINUTE);
    expect(a.inputsCaughtUp()).toBe(false); // nothing reported: the partitions are not even known
    a.add(partial(0, 4, 5 * MINUTE, { caughtUp: true }));
    a.add(partial(1, 4, 5 * MINUTE, { caughtUp: true }));
    expect(a.inputsCaughtUp()).toBe(false); // partition 2 never reported
    a.add(partial(2, 4, 5 * MINUTE, { caughtUp: true, final: false }));
    expect(a.inputsCaughtUp()).toBe(false); // a record that is not the last of its split carries no progress
    a.add(partial(2, 4, 5 * MINUTE, { caughtUp: true }));
    expect(a.inputsCaughtUp()).toBe(true);
    a.add(partial(1, 5, 6 * MINUTE)); // partition 1 is behind again (new events)
    expect(a.inputsCaughtUp()).toBe(false);
  });

  it('applies progress only from the final record of a split, and counts contributions to judged slices as late', () => {
    const a = new SliceAssembler(newSliceState(), 5 * MINUTE);
    a.add(partial(0, 3, 4 * MINUTE));
    a.add(partial(1, 3, 4 * MINUTE));
    a.add(partial(2, 3, 4 * MINUTE, { final: false }));
    expect(a.completeSlices()).toEqual([]);
    a.add(partial(2, 3, 4 * MINUTE, { slices: [] }));
    expect(a.completeSlices()).toEqual([3]);
    expect(a.take(3).map((p) => p.partition)).toEqual([0, 1, 2]);
    a.add(partial(1, 3, 4 * MINUTE)); // slice 3 again: already judged
    expect(a.state.late).toEqual({ '1': 10 });
    expect(a.completeSlices()).toEqual([]);
  });
});
