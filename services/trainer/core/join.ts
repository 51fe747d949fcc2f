import type { Row } from '../../../lib/model';

/**
 * Joining labels to feature events, and label maturity. Pure: the reader hands
 * over what it decoded, this decides which events become training rows.
 *
 * | label seen for the event       | event older than the cutoff | row        |
 * |--------------------------------|-----------------------------|------------|
 * | positive (any, even after a 0) | either                      | 1          |
 * | negative only                  | either                      | 0          |
 * | none                           | yes (label matured)         | 0          |
 * | none                           | no (label may still come)   | left out   |
 *
 * cutoff = window end − the catalog's labelMaturity: an event that old had the
 * whole maturity period for its chargeback to arrive, so silence means genuine.
 * A younger labelled event is kept (its label is final), which enriches the most
 * recent slice with positives when the window ends less than a maturity period
 * before now; triggers should end windows at now − labelMaturity.
 * An event id seen twice (a producer retry) counts once: the first record wins.
 */
export interface FeatureEvent {
  readonly eventId: string;
  readonly eventTime: number;
  readonly row: Row;
}

export interface MaturityRule {
  readonly endTime: number;
  readonly labelMaturityMs: number;
}

export interface JoinCounts {
  /** Feature events in the window (after dedupe and segment filtering). */
  readonly events: number;
  readonly duplicates: number;
  /** Rows with a label event (positive or negative). */
  readonly labelled: number;
  /** Rows that are negatives because their label matured without a positive. */
  readonly maturedUnlabelled: number;
  /** Events left out: no label yet, and too young to call negative. */
  readonly youngUnlabelled: number;
}

export interface JoinedRows {
  /** In (eventTime, eventId) order, so a rerun over the same data fits the same model. */
  readonly eventIds: readonly string[];
  readonly rows: readonly Row[];
  readonly labels: Uint8Array;
  readonly times: Float64Array;
  readonly positives: number;
  readonly counts: JoinCounts;
}

/** Several label events for one event id: a positive wins (a chargeback after a first "genuine" outcome). */
export function mergeLabel(labels: Map<string, boolean>, eventId: string, positive: boolean): void {
  labels.set(eventId, (labels.get(eventId) ?? false) || positive);
}

export function joinLabels(events: readonly FeatureEvent[], labels: ReadonlyMap<string, boolean>, rule: MaturityRule): JoinedRows {
  const cutoff = rule.endTime - rule.labelMaturityMs;
  const seen = new Set<string>();
  const kept: { event: FeatureEvent; label: 0 | 1 }[] = [];
  let duplicates = 0;
  let labelled = 0;
  let maturedUnlabelled = 0;
  let youngUnlabelled = 0;
  for (const event of events) {
    if (seen.has(event.eventId)) {
      duplicates++;
      continue;
    }
    seen.add(event.eventId);
    const label = labels.get(event.eventId);
    if (label !== undefined) {
      labelled++;
      kept.push({ event, label: label ? 1 : 0 });
    } else if (event.eventTime < cutoff) {
      maturedUnlabelled++;
      kept.push({ event, label: 0 });
    } else {
      youngUnlabelled++;
    }
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
    counts: { events: seen.size, duplicates, labelled, maturedUnlabelled, youngUnlabelled },
  };
}
