import type { RefirePolicy } from '../../../lib/catalog';
import type { DriftEvidence, PerformanceEvidence } from '../../../lib/events';
import { newAttempts, type AttemptState, type LastRequest } from './attempts';
import { decide, firstRule, firstSuppression, type RuleInputs, type SuppressionInputs } from './decide';
import { requestIdFor } from './ids';

const HOUR = 3_600_000;
const WINDOW = { start: 1_000, end: 61_000 };
const EVIDENCE = { windowStart: WINDOW.start, windowEnd: WINDOW.end } as unknown as DriftEvidence;
const PERF: PerformanceEvidence = { metric: 'prAuc', observed: 0.3, baseline: 0.6, maxDrop: 0.1, labelledRows: 5000, positives: 60, windowStart: 0, windowEnd: 1, sampleRate: 0.1 };
const REFIRE: RefirePolicy = { backoffMs: HOUR, maxBackoffMs: 4 * HOUR };

/** The record after `failures` runs in a row without a promotion, the last one's outcome learnt at `learntAt`. */
function failed(failures: number, learntAt: number, outcome: LastRequest['outcome'] = 'FAILED'): AttemptState {
  return { version: 1, failures, last: { requestId: 'rq-last', reason: 'VOLUME', at: learntAt - 1, outcome, learntAt } };
}
const PENDING: AttemptState = { version: 1, failures: 0, last: { requestId: 'rq-last', reason: 'VOLUME', at: 0, outcome: null, learntAt: null } };

function rules(over: { drift?: Partial<RuleInputs['drift']>; volume?: Partial<RuleInputs['volume']>; age?: Partial<RuleInputs['age']>; attempts?: AttemptState; championVersion?: number; performance?: RuleInputs['performance'] } = {}): RuleInputs {
  return {
    ...(over.performance ? { performance: over.performance } : {}),
    window: WINDOW,
    drift: { held: false, evidence: EVIDENCE, ...over.drift },
    volume: { enabled: true, matured: 0, positives: 0, threshold: 1000, since: 0, ...over.volume },
    age: { maxAgeMs: 3_600_000, champion: { version: 1, promotedAt: 0, dataWindowEnd: 0 }, ...over.age },
    championVersion: over.championVersion ?? 1,
    attempts: over.attempts ?? newAttempts(1),
  };
}

const QUIET: SuppressionInputs = { eligible: true, inFlight: false, attempts: newAttempts(1), refire: REFIRE, lastRequestAt: null, cooldownMs: 600_000, windowEnd: WINDOW.end };

describe('decide: which rule fires', () => {
  it.each<[string, RuleInputs, string | null, readonly (string | number)[] | null]>([
    ['nothing', rules(), null, null],
    ['drift held', rules({ drift: { held: true } }), 'DRIFT', ['1000-61000']],
    ['drift held without evidence (no reference)', rules({ drift: { held: true, evidence: null } }), null, null],
    ['volume reached', rules({ volume: { matured: 1000 } }), 'VOLUME', ['v1']],
    ['volume reached, no champion yet', rules({ volume: { matured: 1000 }, championVersion: 0, age: { champion: null }, attempts: newAttempts(0) }), 'VOLUME', ['v0']],
    ['volume reached again after a new champion', rules({ volume: { matured: 5000 }, championVersion: 2, attempts: newAttempts(2) }), 'VOLUME', ['v2']],
    ['volume reached, second attempt for the champion', rules({ volume: { matured: 5000 }, attempts: failed(1, 0) }), 'VOLUME', ['v1', 1]],
    ['volume disabled', rules({ volume: { enabled: false, matured: 5000 } }), null, null],
    ['champion data too old', rules({ age: { maxAgeMs: 60_000 } }), 'AGE', ['a1']],
    ['champion data too old, third attempt', rules({ age: { maxAgeMs: 60_000 }, attempts: failed(2, 0, 'REJECTED') }), 'AGE', ['a1', 2]],
    ['drift held, third attempt', rules({ drift: { held: true }, attempts: failed(2, 0, 'CANCELLED') }), 'DRIFT', ['1000-61000', 2]],
    ['no champion: no age', rules({ age: { maxAgeMs: 60_000, champion: null } }), null, null],
    ['drift before volume before age', rules({ drift: { held: true }, volume: { matured: 5000 }, age: { maxAgeMs: 1 } }), 'DRIFT', ['1000-61000']],
    ['volume before age', rules({ volume: { matured: 5000 }, age: { maxAgeMs: 1 } }), 'VOLUME', ['v1']],
    ['performance breached', rules({ performance: { breached: true, evidence: PERF } }), 'PERFORMANCE', ['p1']],
    ['performance judged, not breached', rules({ performance: { breached: false, evidence: PERF } }), null, null],
    ['performance not judged (labels behind)', rules({ performance: { breached: false, evidence: null } }), null, null],
    ['performance breached, second attempt after a REJECTED run', rules({ performance: { breached: true, evidence: PERF }, attempts: failed(1, 0, 'REJECTED') }), 'PERFORMANCE', ['p1', 1]],
    ['performance for a new champion', rules({ performance: { breached: true, evidence: PERF }, championVersion: 2, attempts: newAttempts(2) }), 'PERFORMANCE', ['p2']],
    ['drift before performance', rules({ drift: { held: true }, performance: { breached: true, evidence: PERF } }), 'DRIFT', ['1000-61000']],
    ['performance before volume before age', rules({ performance: { breached: true, evidence: PERF }, volume: { matured: 5000 }, age: { maxAgeMs: 1 } }), 'PERFORMANCE', ['p1']],
  ])('%s', (_case, input, reason, key) => {
    const fired = firstRule(input);
    expect(fired?.reason ?? null).toBe(reason);
    expect(fired?.key ?? null).toEqual(key);
  });

  it('carries the evidence of the rule that fired', () => {
    expect(firstRule(rules({ volume: { matured: 1200, positives: 30, since: 5 } }))!.volume).toEqual({ newMaturedLabels: 1200, newMaturedPositives: 30, threshold: 1000, since: 5 });
    expect(firstRule(rules({ age: { maxAgeMs: 60_000, champion: { version: 3, promotedAt: 500, dataWindowEnd: 400 } } }))!.age).toEqual({
      championPromotedAt: 500,
      ageMs: 60_600,
      maxAgeMs: 60_000,
      championDataWindowEnd: 400,
    });
    expect(firstRule(rules({ drift: { held: true } }))!.drift).toBe(EVIDENCE);
    const perf = firstRule(rules({ performance: { breached: true, evidence: PERF } }))!;
    expect(perf.performance).toBe(PERF);
    expect([perf.drift, perf.volume, perf.age]).toEqual([null, null, null]);
  });
});

describe('decide: the age rule in event time (issue 13)', () => {
  // The loop runs now; the data it reads is 2 h behind. The champion was promoted a minute ago
  // (wall clock) on data that ended 5 h before the newest window judged.
  const NOW = Date.UTC(2026, 0, 10, 12);
  const window = { start: NOW - 2 * HOUR - 60_000, end: NOW - 2 * HOUR };
  const champion = { version: 4, promotedAt: NOW - 60_000, dataWindowEnd: NOW - 7 * HOUR };
  const lagging = (maxAgeMs: number): RuleInputs => ({ ...rules({ age: { maxAgeMs, champion }, championVersion: 4, attempts: newAttempts(4) }), window });

  it.each<[string, number, boolean]>([
    ['data age 5 h ≥ maxAge 4 h: fires, though the wall-clock age (window end − promotedAt) is negative', 4 * HOUR, true],
    ['data age 5 h = maxAge 5 h: fires', 5 * HOUR, true],
    ['data age 5 h < maxAge 6 h: does not', 6 * HOUR, false],
  ])('%s', (_case, maxAgeMs, fires) => {
    const fired = firstRule(lagging(maxAgeMs));
    expect(fired?.reason ?? null).toBe(fires ? 'AGE' : null);
    if (fired) expect(fired.age).toEqual({ championPromotedAt: champion.promotedAt, ageMs: 5 * HOUR, maxAgeMs, championDataWindowEnd: champion.dataWindowEnd });
  });

  it('falls back to promotedAt only for a champion without a data window', () => {
    const input = { ...rules({ age: { maxAgeMs: HOUR, champion: { ...champion, dataWindowEnd: null } }, championVersion: 4, attempts: newAttempts(4) }), window };
    expect(firstRule(input)).toBeNull(); // window end − promotedAt < 0: the old mixed-clock reading, documented
  });
});

describe('decide: what holds a firing back, in order', () => {
  it.each<[string, Partial<SuppressionInputs>, string | null]>([
    ['nothing', {}, null],
    ['a family member without enough matured labels', { eligible: false }, 'not-eligible'],
    ['a run in flight', { inFlight: true }, 'in-flight'],
    ['the last request without an outcome yet (no run seen, or awaiting its evaluation)', { attempts: PENDING }, 'in-flight'],
    ['the last run failed an hour minus 1 ms ago', { attempts: failed(1, WINDOW.end - HOUR + 1) }, 'backoff'],
    ['the last run failed an hour ago', { attempts: failed(1, WINDOW.end - HOUR) }, null],
    ['the last request inside the cooldown', { lastRequestAt: WINDOW.end - 599_999 }, 'cooldown'],
    ['the last request exactly a cooldown ago', { lastRequestAt: WINDOW.end - 600_000 }, null],
    ['backoff passed, cooldown not', { attempts: failed(1, WINDOW.end - HOUR), lastRequestAt: WINDOW.end - 1 }, 'cooldown'],
    ['not eligible before in flight before backoff before cooldown', { eligible: false, inFlight: true, attempts: failed(1, WINDOW.end), lastRequestAt: WINDOW.end }, 'not-eligible'],
    ['in flight before backoff', { inFlight: true, attempts: failed(1, WINDOW.end) }, 'in-flight'],
    ['backoff before cooldown', { attempts: failed(1, WINDOW.end), lastRequestAt: WINDOW.end }, 'backoff'],
  ])('%s', (_case, over, expected) => {
    expect(firstSuppression({ ...QUIET, ...over })).toBe(expected);
  });

  it('says why in one line', () => {
    expect(decide(rules(), { ...QUIET, inFlight: true })).toEqual({ fired: null, suppressed: null, why: 'no rule fired' });
    expect(decide(rules({ drift: { held: true } }), QUIET).why).toBe('DRIFT fired');
    expect(decide(rules({ volume: { matured: 2000 } }), { ...QUIET, lastRequestAt: WINDOW.end }).why).toBe('VOLUME fired, held back: cooldown');
    const again = failed(2, WINDOW.end - HOUR);
    expect(decide(rules({ volume: { matured: 2000 }, attempts: again }), { ...QUIET, attempts: again }).why).toBe('VOLUME (attempt 2) fired, held back: backoff');
  });
});

describe('decide: re-firing after a run without a promotion', () => {
  /** The first window end at which a VOLUME firing goes through, scanning minute windows from `from`. */
  function firstAllowed(attempts: AttemptState, from: number): number {
    for (let end = from; end < from + 48 * HOUR; end += 60_000) {
      const decision = decide({ ...rules({ volume: { matured: 5000 }, attempts }), window: { start: end - 60_000, end } }, { ...QUIET, attempts, windowEnd: end });
      if (decision.fired && decision.suppressed === null) return end;
    }
    throw new Error('never allowed');
  }

  it.each<[string, LastRequest['outcome']]>([
    ['FAILED', 'FAILED'],
    ['REJECTED', 'REJECTED'],
    ['CANCELLED', 'CANCELLED'],
  ])('after %s: fires again once the backoff has passed, as the next attempt', (_case, outcome) => {
    const learntAt = 10 * HOUR;
    const attempts = failed(1, learntAt, outcome);
    expect(firstAllowed(attempts, learntAt)).toBe(learntAt + HOUR);
    expect(firstRule(rules({ volume: { matured: 5000 }, attempts }))!.attempt).toBe(1);
  });

  it.each<[number, number]>([
    [1, HOUR],
    [2, 2 * HOUR],
    [3, 4 * HOUR],
    [4, 4 * HOUR], // capped at maxBackoff
    [40, 4 * HOUR],
  ])('after %i runs in a row without a promotion the wait is %i ms', (failures, wait) => {
    const learntAt = 10 * HOUR;
    expect(firstAllowed(failed(failures, learntAt), learntAt) - learntAt).toBe(wait);
  });

  it.each<[string, LastRequest['outcome']]>([
    ['FAILED', 'FAILED'],
    ['REJECTED', 'REJECTED'],
    ['CANCELLED', 'CANCELLED'],
  ])('PERFORMANCE after %s: held back by the backoff, then fires as attempt 1 with its own requestId', (_case, outcome) => {
    const learntAt = 10 * HOUR;
    const attempts = failed(1, learntAt, outcome);
    const at = (end: number) => decide({ ...rules({ performance: { breached: true, evidence: PERF }, attempts }), window: { start: end - 60_000, end } }, { ...QUIET, attempts, windowEnd: end });
    expect(at(learntAt + HOUR - 1).why).toBe('PERFORMANCE (attempt 1) fired, held back: backoff');
    const fired = at(learntAt + HOUR);
    expect(fired.suppressed).toBeNull();
    expect(requestIdFor('m', fired.fired!.reason, ...fired.fired!.key)).toBe(requestIdFor('m', 'PERFORMANCE', 'p1', 1));
    expect(requestIdFor('m', 'PERFORMANCE', 'p1', 1)).not.toBe(requestIdFor('m', 'PERFORMANCE', 'p1'));
  });

  it('PERFORMANCE while the last request has no outcome: in flight', () => {
    expect(decide(rules({ performance: { breached: true, evidence: PERF }, attempts: PENDING }), { ...QUIET, attempts: PENDING }).why).toBe('PERFORMANCE fired, held back: in-flight');
  });

  it('never while the last request has no outcome, however long it takes', () => {
    for (const end of [WINDOW.end, WINDOW.end + HOUR, WINDOW.end + 30 * 24 * HOUR]) {
      expect(firstSuppression({ ...QUIET, attempts: PENDING, windowEnd: end })).toBe('in-flight');
    }
  });
});

describe('decide: reproducible on replay', () => {
  it('the same inputs give the same decision and the same requestId', () => {
    const input = (): [RuleInputs, SuppressionInputs] => {
      const attempts = failed(3, WINDOW.end - 8 * HOUR, 'REJECTED');
      return [rules({ volume: { matured: 5000, positives: 70, since: 9 }, attempts }), { ...QUIET, attempts }];
    };
    const first = decide(...input());
    const replay = decide(...input());
    expect(replay).toEqual(first);
    expect(requestIdFor('m', replay.fired!.reason, ...replay.fired!.key)).toBe(requestIdFor('m', first.fired!.reason, ...first.fired!.key));
  });

  it('attempts get distinct requestIds; attempt 0 keeps the id rules had before attempts', () => {
    const ids = [0, 1, 2].map((failures) => {
      const fired = firstRule(rules({ volume: { matured: 5000 }, attempts: failures === 0 ? newAttempts(1) : failed(failures, 0) }))!;
      return requestIdFor('m', fired.reason, ...fired.key);
    });
    expect(new Set(ids).size).toBe(3);
    expect(ids[0]).toBe(requestIdFor('m', 'VOLUME', 'v1'));
  });
});
