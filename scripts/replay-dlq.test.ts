import { DLQ_HEADERS, MemoryEventBus, deadLetter, type InboundMessage } from '../lib/bus';
import { ManualClock } from '../lib/clock';
import { ErrorCodes, RoundhouseError } from '../lib/errors';
import { REPLAY_FROM_HEADER, replayDeadLetters } from './replay-dlq';

const SOURCE = 'fraud.features';
const DLQ = `${SOURCE}.dlq`;
const T0 = Date.UTC(2026, 0, 1);

function original(partition: number, offset: number, key: string, value: string, topic = SOURCE): InboundMessage {
  return { topic, partition, offset: String(offset), key: Buffer.from(key), value: Buffer.from(value), headers: { 'trace-id': `t-${offset}` }, timestamp: T0 };
}

const undecodable = new RoundhouseError(ErrorCodes.DECODE_UNKNOWN_SCHEMA, 'unknown schema id 42', { retriable: false });
const invalid = new RoundhouseError(ErrorCodes.VALIDATION, 'amount is negative', { retriable: false });

describe('replayDeadLetters on the memory bus', () => {
  let clock: ManualClock;
  let bus: MemoryEventBus;

  beforeEach(async () => {
    clock = new ManualClock(T0);
    bus = new MemoryEventBus({ clock, defaultPartitions: 3 });
    await bus.ensureTopics([{ name: SOURCE, partitions: 3 }, { name: DLQ, partitions: 1 }, { name: 'elsewhere', partitions: 1 }]);
    await bus.publish([
      deadLetter(original(2, 10, 'm-1', 'a'), undecodable, 'roundhouse-trigger', clock.now()),
      deadLetter(original(0, 11, 'm-2', 'b'), invalid, 'roundhouse-trigger', clock.now()),
      // Another topic's record in this DLQ (a misconfigured consumer): never sent to SOURCE.
      { ...deadLetter(original(0, 5, 'x', 'c', 'elsewhere'), undecodable, 'other', clock.now()), topic: DLQ },
    ]);
    clock.advance(60_000);
    await bus.publish([deadLetter(original(1, 12, 'm-3', 'd'), undecodable, 'roundhouse-trigger', clock.now())]);
  });

  it('--dry-run reports what it would replay and publishes nothing', async () => {
    const lines: string[] = [];
    const report = await replayDeadLetters(bus, { dlqTopic: DLQ, dryRun: true }, (line) => lines.push(line));
    expect(report).toEqual({
      sourceTopic: SOURCE,
      targetTopic: SOURCE,
      examined: 4,
      replayed: 3,
      skipped: { 'other-source': 1, 'error-code': 0, limit: 0 },
      byErrorCode: { DECODE_UNKNOWN_SCHEMA: 2, VALIDATION: 1 },
    });
    expect(bus.messages(SOURCE)).toEqual([]);
    expect(lines).toEqual([
      `would replay ${DLQ}/0@0 -> ${SOURCE}/2 [DECODE_UNKNOWN_SCHEMA] unknown schema id 42`,
      `would replay ${DLQ}/0@1 -> ${SOURCE}/0 [VALIDATION] amount is negative`,
      `would replay ${DLQ}/0@3 -> ${SOURCE}/1 [DECODE_UNKNOWN_SCHEMA] unknown schema id 42`,
    ]);
  });

  it('republishes key, bytes and headers to the source partition, without the dlq headers, marked with where it came from', async () => {
    await replayDeadLetters(bus, { dlqTopic: DLQ, dryRun: false });
    const replayed = bus.messages(SOURCE);
    expect(replayed.map((m) => [m.partition, m.key?.toString(), m.value?.toString(), m.headers])).toEqual([
      [0, 'm-2', 'b', { 'trace-id': 't-11', [REPLAY_FROM_HEADER]: `${DLQ}/0/1` }],
      [1, 'm-3', 'd', { 'trace-id': 't-12', [REPLAY_FROM_HEADER]: `${DLQ}/0/3` }],
      [2, 'm-1', 'a', { 'trace-id': 't-10', [REPLAY_FROM_HEADER]: `${DLQ}/0/0` }],
    ]);
    for (const m of replayed) expect(Object.keys(m.headers).some((h) => h.startsWith('roundhouse.dlq.'))).toBe(false);
    expect(bus.messages('elsewhere')).toEqual([]);
  });

  it('a record that fails again carries the replay marker into the DLQ', async () => {
    await replayDeadLetters(bus, { dlqTopic: DLQ, dryRun: false, limit: 1 });
    const [again] = bus.messages(SOURCE);
    const second = deadLetter(again!, undecodable, 'roundhouse-trigger', clock.now());
    expect(second.headers?.[REPLAY_FROM_HEADER]).toBe(`${DLQ}/0/0`);
    expect(second.headers?.[DLQ_HEADERS.sourceTopic]).toBe(SOURCE);
  });

  it.each([
    ['--error-code', { errorCode: 'VALIDATION' }, ['m-2'], { 'other-source': 1, 'error-code': 2, limit: 0 }],
    ['--since', { since: T0 + 30_000 }, ['m-3'], { 'other-source': 0, 'error-code': 0, limit: 0 }],
    ['--limit', { limit: 2 }, ['m-2', 'm-1'], { 'other-source': 1, 'error-code': 0, limit: 1 }],
  ])('%s narrows the replay', async (_flag, narrowing, keys, skipped) => {
    const report = await replayDeadLetters(bus, { dlqTopic: DLQ, dryRun: false, ...narrowing });
    expect(bus.messages(SOURCE).map((m) => m.key?.toString())).toEqual(keys);
    expect(report.skipped).toEqual(skipped);
  });

  it('--to sends every record to another topic', async () => {
    await bus.ensureTopics([{ name: 'scratch', partitions: 1 }]);
    const report = await replayDeadLetters(bus, { dlqTopic: DLQ, dryRun: false, toTopic: 'scratch' });
    expect(report.replayed).toBe(4);
    expect(bus.messages('scratch').map((m) => m.partition)).toEqual([0, 0, 0, 0]);
    expect(bus.messages(SOURCE)).toEqual([]);
  });

  it('refuses a topic that is not a DLQ, and a target that does not exist', async () => {
    await expect(replayDeadLetters(bus, { dlqTopic: SOURCE, dryRun: true })).rejects.toThrow(/not a dead-letter topic/);
    await expect(replayDeadLetters(new MemoryEventBus({ autoCreateTopics: false }), { dlqTopic: 'nowhere.dlq', dryRun: true })).rejects.toThrow();
  });
});
