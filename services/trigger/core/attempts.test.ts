import { awaitingOutcome, backoffMs, backoffUntil, newAttempts, observe, requested, type RunOutcome } from './attempts';

const HOUR = 3_600_000;
const POLICY = { backoffMs: HOUR, maxBackoffMs: 6 * HOUR };
const outcome = (value: RunOutcome) => (): RunOutcome => value;

describe('attempts: what the judge remembers of its requests', () => {
  it('starts empty, and a request waits for its outcome', () => {
    const fresh = observe(undefined, 1, outcome('FAILED'), 0);
    expect(fresh).toEqual({ state: newAttempts(1), championChanged: false, learnt: null });
    const after = requested(fresh.state, 'rq-1', 'VOLUME', 100);
    expect(awaitingOutcome(after)).toBe(true);
    expect(backoffUntil(after, POLICY)).toBeNull();
  });

  it.each<[RunOutcome, boolean]>([
    ['PENDING', false],
    ['PROMOTED', false], // the new champion resets the record when the follower sees it
    ['FAILED', true],
    ['REJECTED', true],
    ['CANCELLED', true],
  ])('an outcome %s counts as a failure: %s', (value, counts) => {
    const state = requested(newAttempts(1), 'rq-1', 'AGE', 100);
    const next = observe(state, 1, outcome(value), 5_000);
    expect(next.state.failures).toBe(counts ? 1 : 0);
    expect(next.learnt).toBe(counts ? value : null);
    expect(awaitingOutcome(next.state)).toBe(!counts);
    if (counts) expect(backoffUntil(next.state, POLICY)).toBe(5_000 + HOUR);
  });

  it('learns an outcome once: a second look changes nothing', () => {
    const once = observe(requested(newAttempts(1), 'rq-1', 'AGE', 100), 1, outcome('FAILED'), 5_000).state;
    const twice = observe(once, 1, outcome('FAILED'), 9_000);
    expect(twice).toEqual({ state: once, championChanged: false, learnt: null });
  });

  it('a new champion (promotion or rollback) starts the count again', () => {
    const failedTwice = { version: 3, failures: 2, last: { requestId: 'rq', reason: 'DRIFT' as const, at: 1, outcome: 'REJECTED' as const, learntAt: 2 } };
    expect(observe(failedTwice, 4, outcome('PENDING'), 10)).toEqual({ state: newAttempts(4), championChanged: true, learnt: null });
  });

  it.each<[number, number]>([
    [0, 0],
    [1, HOUR],
    [2, 2 * HOUR],
    [3, 4 * HOUR],
    [4, 6 * HOUR],
    [1_100, 6 * HOUR], // 2^1099 is Infinity; still capped
  ])('backoff after %i failures: %i ms', (failures, expected) => {
    expect(backoffMs(failures, POLICY)).toBe(expected);
  });

  it('stays a fixed small record whatever the number of attempts', () => {
    let state = newAttempts(1);
    for (let i = 0; i < 1_000; i++) {
      state = requested(state, `rq-${i}`, 'VOLUME', i * 10);
      state = observe(state, 1, outcome('FAILED'), i * 10 + 5).state;
    }
    expect(state.failures).toBe(1_000);
    expect(JSON.stringify(state).length).toBeLessThan(200);
  });
});
