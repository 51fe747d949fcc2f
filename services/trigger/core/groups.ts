import { createHash } from 'node:crypto';
import { sliceOf, type ModelSpec, type WindowSpec } from '../../../lib/catalog';
import { groupPerformance, type GroupPerformance } from './performance';

/**
 * Sketch once, judge many. Models that read the same feature topic with the same
 * event-time slicing, the same segmenting and the same label stream form one
 * group: stage 1 sketches each event once per group (every feature any of its
 * models reads), and one judge per (group, member shard) decides for all of the
 * group's models. The cost of an event is then independent of how many models
 * read it; it grows only with the union of their features.
 */
export interface TriggerGroup {
  /** Stable across restarts and catalog reorderings: a hash of the grouping key. */
  readonly id: string;
  readonly featureTopic: string;
  readonly labelTopic: string;
  readonly eventTimeField: string;
  readonly sliceMs: number;
  readonly allowedLatenessMs: number;
  readonly idlePartitionTimeoutMs: number;
  /** null: global models (one member, segment ''). */
  readonly segmentField: string | null;
  readonly shards: number;
  /** Members each shard admits before folding new segments into its overflow member. */
  readonly segmentsPerShard: number;
  readonly models: readonly ModelSpec[];
  /** Distinct windowings of the group's models: each is accumulated once and judged for its models. */
  readonly windowClasses: readonly WindowClass[];
  /** What the PERFORMANCE rule samples for the group's models (performance.ts); null when none has it enabled. */
  readonly performance: GroupPerformance | null;
}

export interface WindowClass {
  readonly id: string;
  readonly window: WindowSpec;
  readonly models: readonly ModelSpec[];
}

/** The member a family folds segments into once a shard is full (documented in docs/catalog.md). */
export const OVERFLOW_SEGMENT = '~overflow';

function groupKey(model: ModelSpec): string {
  const slice = sliceOf(model.triggers.drift.window);
  return JSON.stringify([
    model.data.featureTopic,
    model.data.eventTimeField,
    slice.sliceMs,
    slice.allowedLatenessMs,
    model.data.idlePartitionTimeoutMs,
    model.family?.segmentField ?? null,
    model.family?.shards ?? 1,
    model.family?.maxSegments ?? 1,
    model.data.labelTopic,
    model.data.labelTimeField,
    model.data.labelField,
    model.data.labelEventIdField,
  ]);
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

export function planGroups(models: readonly ModelSpec[]): TriggerGroup[] {
  const byKey = new Map<string, ModelSpec[]>();
  for (const model of models) {
    const key = groupKey(model);
    byKey.set(key, [...(byKey.get(key) ?? []), model]);
  }
  const groups: TriggerGroup[] = [];
  for (const [key, members] of [...byKey].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const first = members[0]!;
    const slice = sliceOf(first.triggers.drift.window);
    const classes = new Map<string, ModelSpec[]>();
    for (const model of members) {
      const w = model.triggers.drift.window;
      const hop = w.type === 'time' ? w.hopMs : w.hop;
      const classKey = `${w.type === 'time' ? `t${w.sizeMs}` : `c${w.size}`}${hop === undefined ? '' : `h${hop}`}`;
      classes.set(classKey, [...(classes.get(classKey) ?? []), model]);
    }
    const shards = first.family?.shards ?? 1;
    groups.push({
      id: `g-${shortHash(key)}`,
      featureTopic: first.data.featureTopic,
      labelTopic: first.data.labelTopic,
      eventTimeField: first.data.eventTimeField,
      sliceMs: slice.sliceMs,
      allowedLatenessMs: slice.allowedLatenessMs,
      idlePartitionTimeoutMs: first.data.idlePartitionTimeoutMs,
      segmentField: first.family?.segmentField ?? null,
      shards,
      segmentsPerShard: first.family ? Math.ceil(first.family.maxSegments / shards) : 1,
      models: members,
      windowClasses: [...classes].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([id, ms]) => ({ id, window: ms[0]!.triggers.drift.window, models: ms })),
      performance: groupPerformance(members),
    });
  }
  return groups;
}

/** FNV-1a 32-bit: the shard of a segment, stable across processes and versions. */
export function shardOf(segment: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < segment.length; i++) {
    hash ^= segment.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/** The partials-topic key of a (group, shard): every record of one judge shares it, so one judge instance sees them in order. */
export const judgeKey = (groupId: string, shard: number): string => `${groupId}/${shard}`;
