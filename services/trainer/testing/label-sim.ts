import { logNormal, mulberry32 } from '../../../lib/synthetic/random';
import type { FeatureEvent } from '../core/join';

/**
 * A fraud stream with realistic label delays, for the maturity simulation
 * (issue 13): events at a steady rate over `days`, each a fraud with
 * probability `fraudRate`; every fraud's chargeback arrives after a
 * log-normal delay (median `medianDelayDays`, most inside 30 days, a tail
 * beyond), and a few genuine events get an early "genuine" label. The truth
 * (which events are frauds) is kept, so a test can compare a holdout's label
 * rate with the real fraud rate of the same time slice.
 */
export const DAY_MS = 86_400_000;

export interface SimOptions {
  readonly seed: number;
  readonly start: number;
  readonly days: number;
  readonly eventsPerDay: number;
  readonly fraudRate: number;
  readonly medianDelayDays: number;
  /** Log-normal sigma of the chargeback delay; 0.65 with a 12-day median puts ~92% of chargebacks inside 30 days. */
  readonly delaySigma: number;
  /** Share of genuine events that get an explicit negative label, 1–10 days later. */
  readonly genuineLabelRate: number;
}

export interface SimLabel {
  readonly eventId: string;
  readonly labelTime: number;
  readonly positive: boolean;
}

export interface Sim {
  readonly events: FeatureEvent[];
  /** Every label that will ever arrive, in label-time order; a reader at time t sees those with labelTime < t. */
  readonly labels: SimLabel[];
  readonly fraud: ReadonlySet<string>;
}

export function simulate(o: SimOptions): Sim {
  const random = mulberry32(o.seed);
  const n = Math.round(o.days * o.eventsPerDay);
  const events: FeatureEvent[] = [];
  const labels: SimLabel[] = [];
  const fraud = new Set<string>();
  for (let i = 0; i < n; i++) {
    const eventId = `e${i}`;
    const eventTime = o.start + Math.floor(((i + random()) / n) * o.days * DAY_MS);
    events.push({ eventId, eventTime, row: { event_id: eventId } });
    if (random() < o.fraudRate) {
      fraud.add(eventId);
      labels.push({ eventId, labelTime: eventTime + Math.round(logNormal(random, Math.log(o.medianDelayDays * DAY_MS), o.delaySigma)), positive: true });
    } else if (random() < o.genuineLabelRate) {
      labels.push({ eventId, labelTime: eventTime + Math.round((1 + 9 * random()) * DAY_MS), positive: false });
    }
  }
  labels.sort((a, b) => a.labelTime - b.labelTime);
  return { events, labels, fraud };
}

/** The real fraud rate of the events in [from, to]. */
export function trueRate(sim: Sim, from: number, to: number): { events: number; frauds: number; rate: number } {
  let events = 0;
  let frauds = 0;
  for (const e of sim.events) {
    if (e.eventTime < from || e.eventTime > to) continue;
    events++;
    if (sim.fraud.has(e.eventId)) frauds++;
  }
  return { events, frauds, rate: events === 0 ? NaN : frauds / events };
}
