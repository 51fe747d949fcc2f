import { createHash } from 'node:crypto';
import type { DataWindow } from '../../../lib/events';
import type { Row } from '../../../lib/model';

/**
 * Joining labels to feature events, and label maturity (issue 13). Pure: the
 * reader hands over what it decoded, this decides which events become rows.
 *
 * A row enters training and holdout only when its label state is final at the
 * run's read time R (readTimeOf: the data window's end), judged by what was
 * known at R (labels whose label time is before R):
 *
 * | event time            | positive known at R | row                                   |
 * |-----------------------|---------------------|---------------------------------------|
 * | < R − labelMaturity   | yes                 | 1                                     |
 * | < R − labelMaturity   | no (none, or a 0)   | 0: its chargeback had the whole period |
 * | ≥ R − labelMaturity   | either              | left out                              |
 *
 * Young rows are left out whatever their label. Keeping the young positives
 * (as before issue 13) fills the newest slice, which is exactly the
 * out-of-time holdout, with frauds and none of their genuine neighbours: a
 * 2.1% holdout fraud rate against a true 0.98% in maturity.sim.test.ts. So
 * training windows end at the maturity horizon R − labelMaturity, and a window
 * should end at "now" (the trigger's windows do), not at now − maturity.
 *
 * What is left of the bias is the chargebacks that arrive later than an event's
 * age at R: the holdout, the youngest matured slice, misses most of them, so
 * its fraud rate is low by the share of chargebacks slower than labelMaturity
 * (about 6% with 92% of them inside 30 days). labelMaturity must cover the
 * tail of the label delay, not its median.
 *
 * Labels known after R are ignored (counted): the rows and their labels are
 * then a function of the spec, not of when the Job happened to run or rerun.
 * Several labels for one event: a positive wins (a chargeback after a first
 * "genuine" outcome). An event id seen twice (a producer retry) counts once:
 * the first record wins.
 */
export interface FeatureEvent {
  readonly eventId: string;
  readonly eventTime: number;
  readonly row: Row;
}

/** What the reader learnt of one event's labels: the earliest label time of each kind (null: none seen). */
export interface LabelState {
  firstPositiveAt: number | null;
  firstNegativeAt: number | null;
}

export interface MaturityRule {
  /** The run's read time (readTimeOf), epoch ms, event-time clock. */
  readonly readTime: number;
  readonly labelMaturityMs: number;
}

export interface JoinCounts {
  /** Feature events in the window (after dedupe and segment filtering). */
  readonly events: number;
  readonly duplicates: number;
  /** Matured rows with a label known at read time (positive or negative). */
  readonly labelled: number;
  /** Matured rows without a label known at read time: negatives. */
  readonly maturedUnlabelled: number;
  /** Events left out: within the maturity period of the read time, whatever their label. */
  readonly immature: number;
  /** Of those, how many had a positive known at read time (the rows that used to bias the holdout). */
  readonly immaturePositives: number;
  /** Matured rows whose only positive label came after the read time: negatives here, by the rule. */
  readonly positivesAfterReadTime: number;
}

export interface JoinedRows {
  /** In (eventTime, eventId) order, so a rerun over the same data fits the same model. */
  readonly eventIds: readonly string[];
  readonly rows: readonly Row[];
  readonly labels: Uint8Array;
  readonly times: Float64Array;
  readonly positives: number;
  /** R − labelMaturity: every row is older than this. */
  readonly maturityHorizon: number;
  readonly counts: JoinCounts;
}

/**
 * The run's read time: the data window's end. It is carried by the request
 * (the trigger's event-time "now" when it fired, or the API caller's window)
 * and is the same for every attempt and rerun of the request, unlike the
 * spec's createdAt (the dispatcher's wall clock, new for each run) or the
 * trainer's own clock. It is in event time, the clock of event and label
 * times, so lagging data does not shift the horizon.
 */
/**
 * sha256 of the joined row set, in its (eventTime, eventId) order: each row's id,
 * time, label and feature record as JSON (bigints as decimal strings). Two runs
 * that read the same records (pinned offsets) give the same digest; it is in the
 * artifact manifest (rowsSha256), so a rerun can be checked against the original.
 */
export function rowSetDigest(joined: Pick<JoinedRows, 'eventIds' | 'times' | 'labels' | 'rows'>): string {
  const hash = createHash('sha256');
  const replacer = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);
  for (let i = 0; i < joined.eventIds.length; i++) {
    hash.update(JSON.stringify([joined.eventIds[i], joined.times[i], joined.labels[i], joined.rows[i]], replacer)).update('\n');
  }
  return hash.digest('hex');
}

export function readTimeOf(window: Pick<DataWindow, 'endTime'>): number {
  return window.endTime;
}

export function mergeLabel(labels: Map<string, LabelState>, eventId: string, positive: boolean, labelTime: number): void {
  let state = labels.get(eventId);
  if (!state) {
    state = { firstPositiveAt: null, firstNegativeAt: null };
    labels.set(eventId, state);
  }
  if (positive) state.firstPositiveAt = state.firstPositiveAt === null ? labelTime : Math.min(state.firstPositiveAt, labelTime);
  else state.firstNegativeAt = state.firstNegativeAt === null ? labelTime : Math.min(state.firstNegativeAt, labelTime);
}

const knownBy = (at: number | null, readTime: number): boolean => at !== null && at < readTime;

export function joinLabels(events: readonly FeatureEvent[], labels: ReadonlyMap<string, LabelState>, rule: MaturityRule): JoinedRows {
  const horizon = rule.readTime - rule.labelMaturityMs;
  const seen = new Set<string>();
  const kept: { event: FeatureEvent; label: 0 | 1 }[] = [];
  let duplicates = 0;
  let labelled = 0;
  let maturedUnlabelled = 0;
  let immature = 0;
  let immaturePositives = 0;
  let positivesAfterReadTime = 0;
  for (const event of events) {
    if (seen.has(event.eventId)) {
      duplicates++;
      continue;
    }
    seen.add(event.eventId);
    const state = labels.get(event.eventId);
    const positive = knownBy(state?.firstPositiveAt ?? null, rule.readTime);
    if (event.eventTime >= horizon) {
      immature++;
      if (positive) immaturePositives++;
      continue;
    }
    if (positive || knownBy(state?.firstNegativeAt ?? null, rule.readTime)) labelled++;
    else maturedUnlabelled++;
    if (!positive && state?.firstPositiveAt != null) positivesAfterReadTime++;
    kept.push({ event, label: positive ? 1 : 0 });
  }
  kept.sort((a, b) => a.event.eventTime - b.event.eventTime || (a.event.eventId < b.event.eventId ? -1 : a.event.eventId > b.event.eventId ? 1 : 0));
  const labelsOut = Uint8Array.from(kept, (k) => k.label);
  let positives = 0;
  for (const l of labelsOut) positives += l;
  return {
    eventIds: kept.map((k) => k.event.eventId),
    rows: kept.map((k) => k.event.row),
    labels: labelsOut,
    times: Float64Array.from(kept, (k) => k.event.eventTime),
    positives,
    maturityHorizon: horizon,
    counts: { events: seen.size, duplicates, labelled, maturedUnlabelled, immature, immaturePositives, positivesAfterReadTime },
  };
}
