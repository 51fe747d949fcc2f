import { MemoryEventBus } from '../../../lib/bus';
import { ManualClock } from '../../../lib/clock';
import { silentLogger } from '../../../lib/log';
import { busRunLog } from './run-log';

describe('busRunLog.readToEnd', () => {
  const setup = (partitions = 3) => {
    const clock = new ManualClock(0);
    const bus = new MemoryEventBus({ clock, defaultPartitions: partitions });
    return { clock, bus, log: busRunLog(bus, { clock, logger: silentLogger(), timeoutMs: 1000 }) };
  };

  it('reads every partition to its end, including empty ones, in partition and offset order', async () => {
    const { bus, log } = setup(4);
    await bus.publish(['a', 'b', 'a', 'c', 'a'].map((key, i) => ({ topic: 't', key, value: Buffer.from(`${key}${i}`) })));
    const messages = await log.readToEnd('t');
    expect(messages.map((m) => m.value!.toString()).sort()).toEqual(['a0', 'a2', 'a4', 'b1', 'c3']);
    const fromA = messages.filter((m) => m.key!.toString() === 'a').map((m) => m.value!.toString());
    expect(fromA).toEqual(['a0', 'a2', 'a4']);
    for (let i = 1; i < messages.length; i++) expect(messages[i - 1]!.partition <= messages[i]!.partition).toBe(true);
  });

  it('returns nothing for an empty topic without subscribing', async () => {
    const { log } = setup();
    expect(await log.readToEnd('empty')).toEqual([]);
  });

  it('reads from the beginning every time, with no consumer group', async () => {
    const { bus, log } = setup(1);
    await bus.publish([{ topic: 't', key: 'k', value: Buffer.from('1') }]);
    expect(await log.readToEnd('t')).toHaveLength(1);
    await bus.publish([{ topic: 't', key: 'k', value: Buffer.from('2') }]);
    expect((await log.readToEnd('t')).map((m) => m.value!.toString())).toEqual(['1', '2']);
    expect(bus.groupIds()).toEqual([]);
  });

  it('stops at the end offsets taken when the read began', async () => {
    const { bus, log } = setup(1);
    await bus.publish([{ topic: 't', key: 'k', value: Buffer.from('before') }]);
    const reading = log.readToEnd('t');
    await bus.publish([{ topic: 't', key: 'k', value: Buffer.from('after') }]);
    expect((await reading).map((m) => m.value!.toString())).toEqual(['before']);
  });

  it('finishes at once on a partition retention emptied, and reads what is left of a truncated one', async () => {
    const { bus, log } = setup(2);
    await bus.publish(['a', 'b', 'c'].map((v) => ({ topic: 't', key: null, partition: 0, value: Buffer.from(v) })));
    await bus.publish(['x', 'y', 'z'].map((v) => ({ topic: 't', key: null, partition: 1, value: Buffer.from(v) })));
    bus.truncate('t', 0, 3);
    bus.truncate('t', 1, 1);
    // The clock never moves: nothing waits for the emptied partition.
    expect((await log.readToEnd('t')).map((m) => `${m.partition}:${m.offset}:${m.value!.toString()}`)).toEqual(['1:1:y', '1:2:z']);
  });

  it('fails with a retriable TIMEOUT, on the injected clock, when the read does not finish', async () => {
    const { bus, clock } = setup(1);
    await bus.publish([{ topic: 't', key: 'k', value: Buffer.from('1') }]);
    const stuck = Object.assign(Object.create(bus) as MemoryEventBus, { readRange: () => new Promise<void>(() => undefined) });
    const reading = busRunLog(stuck, { clock, logger: silentLogger(), timeoutMs: 1000 }).readToEnd('t');
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(1000);
    await expect(reading).rejects.toMatchObject({ code: 'TIMEOUT', retriable: true, context: { topic: 't' } });
  });
});
