import type { RefirePolicy } from '../../../lib/catalog';
import type { DriftEvidence, PerformanceEvidence, RetrainReason, RetrainRequested } from '../../../lib/events';
import { awaitingOutcome, backoffUntil, type AttemptState } from './attempts';

/**
 * "Why did or didn't it fire?" in one place. The judge measures (drift
 * statistics, matured events, the champion's data age) and folds what the
 * follower learnt of the last request (attempts.ts); this step decides, purely:
 *
 *   rules, in precedence (the dispatcher's priorities): DRIFT (drift held for
 *     consecutiveWindows windows), PERFORMANCE (the champion's realised metric on
 *     matured labels worse than its holdout figure by more than maxDrop,
 *     performance.ts), VOLUME (enough newly matured events since the champion's
 *     data), AGE (the champion's data older than maxAge);
 *   suppressions, in order: not-eligible (a family member without enough matured
 *     labels and no champion), in-flight (a run of the model is queued or
 *     running, or the last request has no outcome yet), backoff (the last
 *     request's run ended without a promotion less than the refire backoff ago),
 *     cooldown (the last request is younger than the cooldown).
 *
 * The first rule that fires is the request's reason; the first suppression
 * that applies holds it back. A rule fires again only once the last request
 * ended without a promotion (FAILED, REJECTED, CANCELLED) and the backoff has
 * passed: the attempt (such runs in a row for this champion) is then part of
 * the requestId, so the dispatcher runs it, and still dedupes a redelivery.
 * Attempt 0 keeps the ids rules had before attempts existed.
 *
 * Clocks, one per input (docs/catalog.md "Clocks"):
 *   - DRIFT, VOLUME: event time (window bounds; label maturity from the window end);
 *   - PERFORMANCE: event time: events older than labelMaturity at the window's
 *     end, labels up to the window's end, judged once every label partition's
 *     watermark has passed it;
 *   - AGE: event time, the window's end minus the end of the champion's training
 *     data (ModelReady lineage.dataWindow); only for a champion without a data
 *     window, its wall-clock promotedAt stands in;
 *   - cooldown, backoff: event time (window ends);
 *   - in-flight and the last request's outcome: what the follower has read from
 *     the run, evaluation and model-ready topics when the window is judged. This
 *     is the one input a replay may see differently (a run that was running is
 *     finished now); a replay of the same inputs decides the same, with the same
 *     requestId.
 * No wall clock is read here.
 */

/** Every reason a firing can be held back, in the order they are checked. */
export const SUPPRESSIONS = ['not-eligible', 'in-flight', 'backoff', 'cooldown'] as const;
export type Suppression = (typeof SUPPRESSIONS)[number];

export interface Fired {
  readonly reason: RetrainReason;
  /** Idempotency key of the firing: the same rule on the same window (or champion) and attempt gives the same requestId. */
  readonly key: readonly (string | number)[];
  readonly attempt: number;
  readonly drift: DriftEvidence | null;
  readonly volume: RetrainRequested['volume'];
  readonly age: RetrainRequested['age'];
  readonly performance: PerformanceEvidence | null;
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
  };
  readonly age: {
    readonly maxAgeMs: number | null;
    /** dataWindowEnd: event-time end of the champion's training data; null when its ModelReady has none. */
    readonly champion: { readonly version: number; readonly promotedAt: number; readonly dataWindowEnd: number | null } | null;
  };
  /** PERFORMANCE (performance.ts judgePerformance); absent: not judged. */
  readonly performance?: { readonly breached: boolean; readonly evidence: PerformanceEvidence | null };
  /** Champion version the attempts count against (0: none yet). */
  readonly championVersion: number;
  readonly attempts: AttemptState;
}

export interface SuppressionInputs {
  readonly eligible: boolean;
  /** A run of the model is QUEUED, SUBMITTED or RUNNING (the follower's view). */
  readonly inFlight: boolean;
  readonly attempts: AttemptState;
  readonly refire: RefirePolicy;
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

/** The champion's data age in event time (see the header); null without a champion. */
export function dataAgeMs(windowEnd: number, champion: RuleInputs['age']['champion']): number | null {
  if (!champion) return null;
  return windowEnd - (champion.dataWindowEnd ?? champion.promotedAt);
}

export function firstRule(input: RuleInputs): Fired | null {
  const { window, drift, volume, age } = input;
  const attempt = input.attempts.failures;
  // Attempt 0 keeps the key rules had before attempts, so an upgrade does not re-request a decided firing.
  const key = (...base: (string | number)[]): (string | number)[] => (attempt === 0 ? base : [...base, attempt]);
  if (drift.held && drift.evidence) return { reason: 'DRIFT', key: key(`${window.start}-${window.end}`), attempt, drift: drift.evidence, volume: null, age: null, performance: null };
  const performance = input.performance;
  if (performance?.breached && performance.evidence) {
    return { reason: 'PERFORMANCE', key: key(`p${input.championVersion}`), attempt, drift: null, volume: null, age: null, performance: performance.evidence };
  }
  if (volume.enabled && volume.matured >= volume.threshold) {
    return {
      reason: 'VOLUME',
      key: key(`v${input.championVersion}`),
      attempt,
      drift: null,
      age: null,
      performance: null,
      volume: { newMaturedLabels: volume.matured, newMaturedPositives: volume.positives, threshold: volume.threshold, since: volume.since },
    };
  }
  const ageMs = dataAgeMs(window.end, age.champion);
  if (age.maxAgeMs !== null && age.champion && ageMs !== null && ageMs >= age.maxAgeMs) {
    return {
      reason: 'AGE',
      key: key(`a${age.champion.version}`),
      attempt,
      drift: null,
      volume: null,
      performance: null,
      age: { championPromotedAt: age.champion.promotedAt, ageMs, maxAgeMs: age.maxAgeMs, championDataWindowEnd: age.champion.dataWindowEnd },
    };
  }
  return null;
}

export function firstSuppression(input: SuppressionInputs): Suppression | null {
  if (!input.eligible) return 'not-eligible';
  if (input.inFlight || awaitingOutcome(input.attempts)) return 'in-flight';
  const until = backoffUntil(input.attempts, input.refire);
  if (until !== null && input.windowEnd < until) return 'backoff';
  if (input.lastRequestAt !== null && input.windowEnd - input.lastRequestAt < input.cooldownMs) return 'cooldown';
  return null;
}

export function decide(rules: RuleInputs, suppressions: SuppressionInputs): Decision {
  const fired = firstRule(rules);
  if (!fired) return { fired: null, suppressed: null, why: 'no rule fired' };
  const suppressed = firstSuppression(suppressions);
  const attempt = fired.attempt > 0 ? ` (attempt ${fired.attempt})` : '';
  return { fired, suppressed, why: suppressed ? `${fired.reason}${attempt} fired, held back: ${suppressed}` : `${fired.reason}${attempt} fired` };
}
