import { isRoundhouseError } from '../errors';
import { outOfTimeSplit } from './split';

describe('outOfTimeSplit', () => {
  // Times deliberately out of row order.
  const times = [50, 10, 90, 30, 70, 20, 100, 60, 40, 80];

  it('holds out the latest rows and trains on the earlier ones', () => {
    const s = outOfTimeSplit(times, { holdoutFraction: 0.2 });
    expect(Array.from(s.holdout).map((i) => times[i])).toEqual([90, 100]);
    expect(Array.from(s.train).map((i) => times[i])).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(s.validation).toHaveLength(0);
    expect(s.holdoutStartTime).toBe(90);
    expect(s.validationStartTime).toBeNull();
  });

  it('puts an optional validation slice just before the holdout', () => {
    const s = outOfTimeSplit(times, { holdoutFraction: 0.2, validationFraction: 0.3 });
    expect(Array.from(s.validation).map((i) => times[i])).toEqual([60, 70, 80]);
    expect(s.validationStartTime).toBe(60);
    expect(s.train).toHaveLength(5);
  });

  it('is out-of-time: every train time < every validation time < every holdout time, also with ties', () => {
    const tied = [1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7];
    const s = outOfTimeSplit(tied, { holdoutFraction: 0.25, validationFraction: 0.25 });
    const t = (idx: Int32Array): number[] => Array.from(idx).map((i) => tied[i] as number);
    expect(Math.max(...t(s.train))).toBeLessThan(Math.min(...t(s.validation)));
    expect(Math.max(...t(s.validation))).toBeLessThan(Math.min(...t(s.holdout)));
    expect(s.train.length + s.validation.length + s.holdout.length).toBe(tied.length);
    // 25% is 5 rows; the cut at a 6 pulls every 6 into the holdout.
    expect(t(s.holdout)).toEqual([6, 6, 6, 6, 7, 7, 7]);
  });

  it('can leave a slice empty when every time is equal', () => {
    const s = outOfTimeSplit([5, 5, 5, 5], { holdoutFraction: 0.25 });
    expect(s.train).toHaveLength(0);
    expect(s.holdout).toHaveLength(4);
  });

  it('handles no rows', () => {
    const s = outOfTimeSplit([], { holdoutFraction: 0.2 });
    expect([s.train.length, s.holdout.length, s.holdoutStartTime]).toEqual([0, 0, null]);
  });

  it.each([
    [{ holdoutFraction: 0 }, 'holdoutFraction'],
    [{ holdoutFraction: 1 }, 'holdoutFraction'],
    [{ holdoutFraction: 0.2, validationFraction: -0.1 }, 'validationFraction'],
    [{ holdoutFraction: 0.6, validationFraction: 0.4 }, 'validationFraction'],
  ])('refuses %j', (options, key) => {
    let thrown: unknown;
    try {
      outOfTimeSplit(times, options);
    } catch (error) {
      thrown = error;
    }
    expect(isRoundhouseError(thrown) && [thrown.code, thrown.context.key]).toEqual(['VALIDATION', key]);
  });

  it('refuses non-finite times', () => {
    expect(() => outOfTimeSplit([1, NaN], { holdoutFraction: 0.5 })).toThrow(/row 1 is NaN/);
  });
});
