/**
 * Replays a dead-letter topic to the topic its records came from, once the
 * cause is fixed (a schema registered, a catalog field renamed, a bug deployed
 * away). docs/runbook.md, "Replay a DLQ".
 *
 *   npx tsx scripts/replay-dlq.ts --topic fraud.features.dlq [--dry-run]
 *       [--error-code CODE] [--since 2026-01-01T00:00:00Z] [--limit N] [--to TOPIC]
 *   (in the image: node dist/scripts/replay-dlq.js …)
 *
 * Kafka from the usual variables (KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
 * KAFKA_SASL_*, KAFKA_SSL). Each record goes back with its original key, bytes
 * and headers, to its original partition; the roundhouse.dlq.* headers are
 * dropped and roundhouse.replay.from names the DLQ record it came from, so a
 * record that fails again is recognisable in the DLQ. Consumers are idempotent,
 * so replaying twice is safe but wasteful: narrow with --since / --error-code.
 * Record timestamps become the replay time (event times in the payload stay).
 */
import { parseArgs } from 'node:util';
import { DLQ_HEADERS, type EventBus, type Headers, type InboundMessage, type OffsetRange, type OutboundMessage } from '../lib/bus';
import { loadConfig } from '../lib/config';
import { KafkaEventBus, createKafkaClient } from '../lib/kafka';
import { createLogger } from '../lib/log';

export const REPLAY_FROM_HEADER = 'roundhouse.replay.from';
const DLQ_SUFFIX = '.dlq';

export interface ReplayOptions {
  /** The dead-letter topic, `<source>.dlq`. */
  readonly dlqTopic: string;
  readonly dryRun: boolean;
  /** Only records dead-lettered with this error code (header roundhouse.dlq.error-code). */
  readonly errorCode?: string;
  /** Only DLQ records written at or after this time (epoch ms). */
  readonly since?: number;
  /** Replay at most this many records. */
  readonly limit?: number;
  /** Publish here instead of the source topic (e.g. a scratch topic to inspect first). */
  readonly toTopic?: string;
}

export type SkipReason = 'other-source' | 'error-code' | 'limit';

export interface ReplayReport {
  readonly sourceTopic: string;
  readonly targetTopic: string;
  examined: number;
  replayed: number;
  readonly skipped: Record<SkipReason, number>;
  readonly byErrorCode: Record<string, number>;
}

/** The record as it goes back: original key, bytes and headers; partition kept when the target has it. */
export function replayMessage(record: InboundMessage, targetTopic: string, targetPartitions: number): OutboundMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers)) if (!name.startsWith('roundhouse.dlq.')) headers[name] = value;
  headers[REPLAY_FROM_HEADER] = `${record.topic}/${record.partition}/${record.offset}`;
  const partition = Number(record.headers[DLQ_HEADERS.sourcePartition]);
  return {
    topic: targetTopic,
    key: record.key,
    value: record.value,
    headers: headers as Headers,
    ...(Number.isInteger(partition) && partition >= 0 && partition < targetPartitions ? { partition } : {}),
  };
}

export async function replayDeadLetters(bus: EventBus, options: ReplayOptions, log: (line: string) => void = () => undefined): Promise<ReplayReport> {
  if (!options.dlqTopic.endsWith(DLQ_SUFFIX) || options.dlqTopic.length === DLQ_SUFFIX.length) {
    throw new Error(`${options.dlqTopic} is not a dead-letter topic (<topic>${DLQ_SUFFIX})`);
  }
  const sourceTopic = options.dlqTopic.slice(0, -DLQ_SUFFIX.length);
  const targetTopic = options.toTopic ?? sourceTopic;
  const report: ReplayReport = { sourceTopic, targetTopic, examined: 0, replayed: 0, skipped: { 'other-source': 0, 'error-code': 0, limit: 0 }, byErrorCode: {} };
  const targetPartitions = (await bus.endOffsets(targetTopic)).size;
  if (targetPartitions === 0) throw new Error(`target topic ${targetTopic} does not exist`);

  const ends = await bus.endOffsets(options.dlqTopic);
  const starts = options.since === undefined ? new Map<number, string>() : await bus.offsetsForTime(options.dlqTopic, options.since);
  const ranges: OffsetRange[] = [...ends]
    .map(([partition, endOffset]) => ({ partition, startOffset: starts.get(partition) ?? '0', endOffset }))
    .filter((range) => BigInt(range.startOffset) < BigInt(range.endOffset));

  await bus.readRange(options.dlqTopic, ranges, async (records) => {
    const outgoing: OutboundMessage[] = [];
    for (const record of records) {
      report.examined++;
      const code = record.headers[DLQ_HEADERS.errorCode] ?? 'UNKNOWN';
      const from = record.headers[DLQ_HEADERS.sourceTopic];
      let skip: SkipReason | null = null;
      // A record another topic's consumer dead-lettered here does not belong to this source.
      if (from !== undefined && from !== sourceTopic && options.toTopic === undefined) skip = 'other-source';
      else if (options.errorCode !== undefined && code !== options.errorCode) skip = 'error-code';
      else if (options.limit !== undefined && report.replayed >= options.limit) skip = 'limit';
      const where = `${record.topic}/${record.partition}@${record.offset}`;
      if (skip) {
        report.skipped[skip]++;
        continue;
      }
      report.replayed++;
      report.byErrorCode[code] = (report.byErrorCode[code] ?? 0) + 1;
      const message = replayMessage(record, targetTopic, targetPartitions);
      const reason = record.headers[DLQ_HEADERS.errorMessage] ?? '';
      log(`${options.dryRun ? 'would replay' : 'replay'} ${where} -> ${targetTopic}/${message.partition ?? 'by key'} [${code}] ${reason.slice(0, 160)}`);
      outgoing.push(message);
    }
    if (!options.dryRun && outgoing.length > 0) await bus.publish(outgoing);
  });
  return report;
}

function parseCli(argv: readonly string[]): ReplayOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      topic: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'error-code': { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      to: { type: 'string' },
    },
  });
  if (!values.topic) throw new Error('--topic <source>.dlq is required');
  const since = values.since === undefined ? undefined : Date.parse(values.since);
  if (since !== undefined && Number.isNaN(since)) throw new Error(`--since: not a date: ${values.since}`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new Error(`--limit: expected a positive integer, got ${values.limit}`);
  return {
    dlqTopic: values.topic,
    dryRun: values['dry-run'],
    ...(values['error-code'] !== undefined ? { errorCode: values['error-code'] } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(values.to !== undefined ? { toTopic: values.to } : {}),
  };
}

async function main(): Promise<void> {
  const options = parseCli(process.argv.slice(2));
  const config = loadConfig(process.env);
  if (!config.kafka) throw new Error('KAFKA_BROKERS is not set');
  const logger = createLogger({ service: 'replay-dlq', level: 'warn' });
  const kafka = createKafkaClient({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-replay-dlq`, ssl: config.kafka.ssl, ...(config.kafka.sasl ? { sasl: config.kafka.sasl } : {}), logger });
  const bus = new KafkaEventBus(kafka, { logger });
  try {
    const report = await replayDeadLetters(bus, options, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`${JSON.stringify({ dryRun: options.dryRun, ...report })}\n`);
  } finally {
    await bus.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`replay-dlq: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
