import { ManualClock } from '../../lib/clock';
import { CommitPace } from './pace';

describe('CommitPace', () => {
  it('commits a partition at the cadence until it has a commit to measure', () => {
    const pace = new CommitPace(new ManualClock(0));
    expect(pace.due('p0', false)).toBe(false);
    expect(pace.due('p0', true)).toBe(true);
    expect(pace.waitMs('p0')).toBe(0);
  });

  it('after a commit that took T, waits 10·T from its end, per partition', () => {
    const clock = new ManualClock(1_000);
    const pace = new CommitPace(clock);
    clock.advance(300); // the commit took 300 ms
    pace.committed('p0', 1_000);
    expect(pace.waitMs('p0')).toBe(3_000);
    expect(pace.due('p0', true)).toBe(false);
    expect(pace.due('p1', true)).toBe(true); // another partition has its own pace
    clock.advance(2_999);
    expect(pace.due('p0', true)).toBe(false);
    expect(pace.waitMs('p0')).toBe(1);
    clock.advance(1);
    expect(pace.due('p0', true)).toBe(true);
    expect(pace.due('p0', false)).toBe(false); // never before the cadence
  });

  it('a cheap commit leaves the cadence alone', () => {
    const clock = new ManualClock(0);
    const pace = new CommitPace(clock);
    pace.committed('p0', 0); // took 0 ms (a fake clock, or a tiny state)
    expect(pace.due('p0', true)).toBe(true);
  });

  it('a caught-up partition waits 10× the last build time, not the whole commit', () => {
    const clock = new ManualClock(1_000);
    const pace = new CommitPace(clock);
    clock.advance(20); // 20 ms encoding the checkpoint
    const built = clock.now();
    clock.advance(980); // then a 980 ms transaction
    pace.committed('p0', 1_000, built);
    expect(pace.waitMs('p0')).toBe(10_000); // behind: paced by the whole second
    expect(pace.caughtUpWaitMs('p0')).toBe(200); // caught up: by the 20 ms of CPU
    clock.advance(200);
    expect(pace.caughtUpWaitMs('p0')).toBe(0);
    expect(pace.caughtUpWaitMs('p1')).toBe(0);
  });
});
