import type { EventBus, InboundMessage } from '../../lib/bus';
import type { AvroCodec, GenericRecord } from '../../lib/codec';
import { ErrorCodes, errorCode } from '../../lib/errors';
import type { PartitionRange } from '../../lib/events';
import type { Logger } from '../../lib/log';
import type { Row } from '../../lib/model';
import type { RunSpec } from '../../lib/runspec';
import {
  compileFeaturePlan,
  compileLabelPlan,
  readLabel,
  readSegment,
  readTime,
  type FeatureRecordPlan,
  type LabelRecordPlan,
} from '../trigger/core/extract';
import { mergeLabel, type FeatureEvent, type LabelState } from './core/join';
import { namesTopic, rangesFor, toOffsetRanges } from './core/window';

/**
 * Reading a run's window from Kafka: the feature events of [startTime, endTime)
 * (of the spec's segment, for a family member) and every label for them that has
 * arrived by now (or, when the spec pins offsets — lib/bus/pin.ts — exactly the
 * records of those ranges, so a rerun reads the same rows), with its label time (core/join.ts keeps those known at the
 * run's read time). Records are decoded with their writer's schema and read with
 * the trigger's field readers, so trainer and trigger agree on ids, times,
 * segments and labels. A record that cannot be decoded or lacks a usable id or
 * time is skipped and counted (the trigger dead-letters it); a writer schema that
 * lacks a catalog field fails the run (VALIDATION: the catalog and the data
 * disagree, and retrying cannot help).
 */
export interface ReadOptions {
  /** Start reading this long before the window start (record timestamps are not event times). */
  readonly timestampSlackMs: number;
}

export interface SkipCounts {
  undecodable: number;
  invalid: number;
  outsideWindow: number;
  otherSegment: number;
  labelsUndecodable: number;
  labelsInvalid: number;
  labelsUnmatched: number;
}

export interface WindowData {
  readonly events: FeatureEvent[];
  /** Per event id, the earliest positive and negative label times; the join decides which were known at read time. */
  readonly labels: Map<string, LabelState>;
  /** The first writer schema's plan: the feature kinds training uses (catalog type, else the Avro type). */
  readonly featurePlan: FeatureRecordPlan | null;
  readonly skipped: SkipCounts;
}

/** What has been read so far, kept even when a later step fails (the FAILED event reports it). */
export interface ReadProgress {
  ranges: PartitionRange[];
}

const DECODE_CODES: ReadonlySet<string> = new Set([ErrorCodes.DECODE_BODY, ErrorCodes.DECODE_MAGIC_BYTE, ErrorCodes.DECODE_UNKNOWN_SCHEMA]);

export async function readWindow(spec: RunSpec, bus: EventBus, avro: AvroCodec, options: ReadOptions, progress: ReadProgress, logger: Logger): Promise<WindowData> {
  const { data } = spec.model;
  const { startTime, endTime } = spec.dataWindow;
  const given = spec.dataWindow.partitions;
  const skipped: SkipCounts = { undecodable: 0, invalid: 0, outsideWindow: 0, otherSegment: 0, labelsUndecodable: 0, labelsInvalid: 0, labelsUnmatched: 0 };
  const from = startTime - options.timestampSlackMs;

  // Features: the spec's offsets, or the topic from (start − slack) to its end now.
  const featureRanges = namesTopic(given, data.featureTopic)
    ? rangesFor(data.featureTopic, given, null, new Map())
    : rangesFor(data.featureTopic, [], await bus.offsetsForTime(data.featureTopic, from), await bus.endOffsets(data.featureTopic));
  progress.ranges = [...featureRanges];
  const plans = new Map<number, FeatureRecordPlan>();
  let firstPlan: FeatureRecordPlan | null = null;
  const events: FeatureEvent[] = [];
  await bus.readRange(data.featureTopic, toOffsetRanges(featureRanges), async (messages) => {
    for (const { message, record } of await decodeAll(avro, messages, () => skipped.undecodable++, logger)) {
      let plan = plans.get(record.schemaId);
      if (!plan) {
        plan = compileFeaturePlan(spec.model, record.type);
        plans.set(record.schemaId, plan);
        firstPlan ??= plan;
      }
      const row = record.value as Row;
      const eventId = idOf(row[plan.eventIdField]);
      let eventTime: number;
      try {
        eventTime = readTime(row, plan.eventTimeField, plan.timeScale);
      } catch {
        skipped.invalid++;
        continue;
      }
      if (eventId === null) {
        skipped.invalid++;
        continue;
      }
      if (eventTime < startTime || eventTime >= endTime) {
        skipped.outsideWindow++;
        continue;
      }
      if (spec.segment !== null && readSegment(row, plan.segmentField, message.key) !== spec.segment) {
        skipped.otherSegment++;
        continue;
      }
      events.push({ eventId, eventTime, row });
    }
  });

  // Labels arrive late: the spec's pinned ranges (the dispatcher fixed them when it created the run, so
  // every attempt joins the same labels), else from the window start to the end of the topic now.
  const ids = new Set(events.map((e) => e.eventId));
  const labelRanges = namesTopic(given, data.labelTopic)
    ? rangesFor(data.labelTopic, given, null, new Map())
    : rangesFor(data.labelTopic, [], await bus.offsetsForTime(data.labelTopic, from), await bus.endOffsets(data.labelTopic));
  progress.ranges = [...featureRanges, ...labelRanges];
  const labelPlans = new Map<number, LabelRecordPlan>();
  const labels = new Map<string, LabelState>();
  if (ids.size > 0) {
    await bus.readRange(data.labelTopic, toOffsetRanges(labelRanges), async (messages) => {
      for (const { record } of await decodeAll(avro, messages, () => skipped.labelsUndecodable++, logger)) {
        let plan = labelPlans.get(record.schemaId);
        if (!plan) {
          plan = compileLabelPlan(spec.model, record.type);
          labelPlans.set(record.schemaId, plan);
        }
        const row = record.value as Row;
        const eventId = idOf(row[plan.eventIdField]);
        if (eventId === null || !ids.has(eventId)) {
          skipped.labelsUnmatched++;
          continue;
        }
        try {
          mergeLabel(labels, eventId, readLabel(row, plan.labelField), readTime(row, plan.labelTimeField, plan.timeScale));
        } catch {
          skipped.labelsInvalid++;
        }
      }
    });
  }
  return { events, labels, featurePlan: firstPlan, skipped };
}

function idOf(raw: unknown): string | null {
  if (typeof raw === 'string') return raw.length > 0 ? raw : null;
  if (typeof raw === 'number' || typeof raw === 'bigint') return String(raw);
  return null;
}

let decodeWarnings = 0;

/** Decode a batch; poison is counted and skipped, a registry outage is thrown (retriable). */
async function decodeAll(
  avro: AvroCodec,
  messages: readonly InboundMessage[],
  onSkip: () => void,
  logger: Logger,
): Promise<{ message: InboundMessage; record: GenericRecord }[]> {
  await avro.prepare(messages.map((m) => m.value));
  const out: { message: InboundMessage; record: GenericRecord }[] = [];
  for (const message of messages) {
    try {
      out.push({ message, record: avro.decodeGeneric(message.value) });
    } catch (error) {
      if (!DECODE_CODES.has(errorCode(error))) throw error;
      onSkip();
      if (decodeWarnings++ < 10) {
        logger.warn({ err: error, topic: message.topic, partition: message.partition, offset: message.offset }, 'skipping an undecodable record');
      }
    }
  }
  return out;
}
