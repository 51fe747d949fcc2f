import type { DriftEvidence } from '../../../lib/events';
import { decide, firstRule, firstSuppression, type RuleInputs, type SuppressionInputs } from './decide';

const WINDOW = { start: 1_000, end: 61_000 };
const EVIDENCE = { windowStart: WINDOW.start, windowEnd: WINDOW.end } as unknown as DriftEvidence;

function rules(over: { drift?: Partial<RuleInputs['drift']>; volume?: Partial<RuleInputs['volume']>; age?: Partial<RuleInputs['age']> } = {}): RuleInputs {
  return {
    window: WINDOW,
    drift: { held: false, evidence: EVIDENCE, ...over.drift },
    volume: { enabled: true, matured: 0, positives: 0, threshold: 1000, since: 0, championVersion: 1, firedFor: null, ...over.volume },
    age: { maxAgeMs: 3_600_000, champion: { version: 1, promotedAt: 0 }, firedFor: null, ...over.age },
  };
}

const QUIET: SuppressionInputs = { eligible: true, inFlight: false, lastRequestAt: null, cooldownMs: 600_000, windowEnd: WINDOW.end };

describe('decide: which rule fires', () => {
  it.each<[string, RuleInputs, string | null, string | null]>([
    ['nothing', rules(), null, null],
    ['drift held', rules({ drift: { held: true } }), 'DRIFT', '1000-61000'],
    ['drift held without evidence (no reference)', rules({ drift: { held: true, evidence: null } }), null, null],
    ['volume reached', rules({ volume: { matured: 1000 } }), 'VOLUME', 'v1'],
    ['volume reached, already fired for this champion', rules({ volume: { matured: 5000, firedFor: 'v1' } }), null, null],
    ['volume reached again after a new champion', rules({ volume: { matured: 5000, firedFor: 'v1', championVersion: 2 } }), 'VOLUME', 'v2'],
    ['volume disabled', rules({ volume: { enabled: false, matured: 5000 } }), null, null],
    ['champion too old', rules({ age: { maxAgeMs: 60_000 } }), 'AGE', 'a1'],
    ['champion too old, already fired for it', rules({ age: { maxAgeMs: 60_000, firedFor: 1 } }), null, null],
    ['no champion: no age', rules({ age: { maxAgeMs: 60_000, champion: null } }), null, null],
    ['drift before volume before age', rules({ drift: { held: true }, volume: { matured: 5000 }, age: { maxAgeMs: 1 } }), 'DRIFT', '1000-61000'],
    ['volume before age', rules({ volume: { matured: 5000 }, age: { maxAgeMs: 1 } }), 'VOLUME', 'v1'],
  ])('%s', (_case, input, reason, key) => {
    const fired = firstRule(input);
    expect(fired?.reason ?? null).toBe(reason);
    expect(fired?.key ?? null).toBe(key);
  });

  it('carries the evidence of the rule that fired', () => {
    expect(firstRule(rules({ volume: { matured: 1200, positives: 30, since: 5 } }))!.volume).toEqual({ newMaturedLabels: 1200, newMaturedPositives: 30, threshold: 1000, since: 5 });
    expect(firstRule(rules({ age: { maxAgeMs: 60_000, champion: { version: 3, promotedAt: 500 } } }))!.age).toEqual({ championPromotedAt: 500, ageMs: 60_500, maxAgeMs: 60_000 });
    expect(firstRule(rules({ drift: { held: true } }))!.drift).toBe(EVIDENCE);
  });
});

describe('decide: what holds a firing back, in order', () => {
  it.each<[string, Partial<SuppressionInputs>, string | null]>([
    ['nothing', {}, null],
    ['a family member without enough matured labels', { eligible: false }, 'not-eligible'],
    ['a run in flight', { inFlight: true }, 'in-flight'],
    ['the last request inside the cooldown', { lastRequestAt: WINDOW.end - 599_999 }, 'cooldown'],
    ['the last request exactly a cooldown ago', { lastRequestAt: WINDOW.end - 600_000 }, null],
    ['not eligible before in flight before cooldown', { eligible: false, inFlight: true, lastRequestAt: WINDOW.end }, 'not-eligible'],
    ['in flight before cooldown', { inFlight: true, lastRequestAt: WINDOW.end }, 'in-flight'],
  ])('%s', (_case, over, expected) => {
    expect(firstSuppression({ ...QUIET, ...over })).toBe(expected);
  });

  it('says why in one line', () => {
    expect(decide(rules(), { ...QUIET, inFlight: true })).toEqual({ fired: null, suppressed: null, why: 'no rule fired' });
    expect(decide(rules({ drift: { held: true } }), QUIET).why).toBe('DRIFT fired');
    expect(decide(rules({ volume: { matured: 2000 } }), { ...QUIET, lastRequestAt: WINDOW.end }).why).toBe('VOLUME fired, held back: cooldown');
  });
});
