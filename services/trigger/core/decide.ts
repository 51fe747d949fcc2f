import type { DriftEvidence, RetrainReason, RetrainRequested } from '../../../lib/events';

/**
 * "Why did or didn't it fire?" in one place. The judge measures (drift
 * statistics, matured events, the champion's age); this step decides, purely:
 *
 *   rules, in precedence: DRIFT (drift held for consecutiveWindows windows),
 *     VOLUME (enough newly matured events since the champion's data, once per
 *     champion), AGE (the champion older than maxAge, once per champion);
 *   suppressions, in order: not-eligible (a family member without enough matured
 *     labels and no champion), in-flight (a run of the model is queued or
 *     running), cooldown (the last request is younger than the cooldown).
 *
 * The first rule that fires is the request's reason; the first suppression
 * that applies holds it back. Times are event time (window ends).
 */

export type Suppression = 'not-eligible' | 'in-flight' | 'cooldown';

export interface Fired {
  readonly reason: RetrainReason;
  /** Idempotency key of the firing: the same rule on the same window (or champion) gives the same requestId. */
  readonly key: string;
  readonly drift: DriftEvidence | null;
  readonly volume: RetrainRequested['volume'];
  readonly age: RetrainRequested['age'];
}

export interface RuleInputs {
  readonly window: { readonly start: number; readonly end: number };
  /** Drift: drifted in this window and in the consecutiveWindows − 1 before it. */
  readonly drift: { readonly held: boolean; readonly evidence: DriftEvidence | null };
  readonly volume: {
    readonly enabled: boolean;
    readonly matured: number;
    readonly positives: number;
    readonly threshold: number;
    readonly since: number;
    /** Champion version the rule counts for (0: none yet) and the one it already fired for. */
    readonly championVersion: number;
    readonly firedFor: string | null;
  };
  readonly age: {
    readonly maxAgeMs: number | null;
    readonly champion: { readonly version: number; readonly promotedAt: number } | null;
    readonly firedFor: number | null;
  };
}

export interface SuppressionInputs {
  readonly eligible: boolean;
  readonly inFlight: boolean;
  readonly lastRequestAt: number | null;
  readonly cooldownMs: number;
  readonly windowEnd: number;
}

export interface Decision {
  readonly fired: Fired | null;
  readonly suppressed: Suppression | null;
  /** One line for logs and tests: which rule fired, or none, and what held it back. */
  readonly why: string;
}

export function firstRule(input: RuleInputs): Fired | null {
  const { window, drift, volume, age } = input;
  if (drift.held && drift.evidence) return { reason: 'DRIFT', key: `${window.start}-${window.end}`, drift: drift.evidence, volume: null, age: null };
  if (volume.enabled) {
    const key = `v${volume.championVersion}`;
    if (volume.matured >= volume.threshold && volume.firedFor !== key) {
      return {
        reason: 'VOLUME',
        key,
        drift: null,
        age: null,
        volume: { newMaturedLabels: volume.matured, newMaturedPositives: volume.positives, threshold: volume.threshold, since: volume.since },
      };
    }
  }
  if (age.maxAgeMs !== null && age.champion && window.end - age.champion.promotedAt >= age.maxAgeMs && age.firedFor !== age.champion.version) {
    return {
      reason: 'AGE',
      key: `a${age.champion.version}`,
      drift: null,
      volume: null,
      age: { championPromotedAt: age.champion.promotedAt, ageMs: window.end - age.champion.promotedAt, maxAgeMs: age.maxAgeMs, championDataWindowEnd: null },
    };
  }
  return null;
}

export function firstSuppression(input: SuppressionInputs): Suppression | null {
  if (!input.eligible) return 'not-eligible';
  if (input.inFlight) return 'in-flight';
  if (input.lastRequestAt !== null && input.windowEnd - input.lastRequestAt < input.cooldownMs) return 'cooldown';
  return null;
}

export function decide(rules: RuleInputs, suppressions: SuppressionInputs): Decision {
  const fired = firstRule(rules);
  if (!fired) return { fired: null, suppressed: null, why: 'no rule fired' };
  const suppressed = firstSuppression(suppressions);
  return { fired, suppressed, why: suppressed ? `${fired.reason} fired, held back: ${suppressed}` : `${fired.reason} fired` };
}
