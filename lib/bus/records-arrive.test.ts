import { ManualClock } from '../clock';
import { recordsArrive } from './caught-up';
import { MemoryEventBus } from './memory';

/** lib/bus recordsArrive: the trigger judge's wait for partials while it paces a commit. */
describe('recordsArrive', () => {
  async function setup(): Promise<{ bus: MemoryEventBus; clock: ManualClock; publish: (partition: number) => Promise<void> }> {
    const clock = new ManualClock(1_000);
    const bus = new MemoryEventBus({ clock });
    await bus.ensureTopics([{ name: 't', partitions: 2 }]);
    const publish = (partition: number): Promise<void> => bus.publish([{ topic: 't', key: null, partition, value: Buffer.from('x') }]);
    await publish(0); // partition 0 ends at offset 1
    return { bus, clock, publish };
  }

  /** Lets the awaited poll and its callbacks run after the clock moved. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('is false once the time is up when nothing arrives, polling on the clock', async () => {
    const { bus, clock } = await setup();
    let result: boolean | undefined;
    void recordsArrive(bus, clock, { topic: 't', partition: 0, offset: '1', withinMs: 200, pollMs: 50 }).then((r) => (result = r));
    for (let elapsed = 0; elapsed < 150; elapsed += 50) {
      clock.advance(50);
      await settle();
      expect(result).toBeUndefined();
    }
    clock.advance(50);
    await settle();
    expect(result).toBe(false);
  });

  it('is true at the first poll after a record lands past the offset on that partition, not on another one', async () => {
    const { bus, clock, publish } = await setup();
    let result: boolean | undefined;
    void recordsArrive(bus, clock, { topic: 't', partition: 0, offset: '1', withinMs: 10_000, pollMs: 50 }).then((r) => (result = r));
    await publish(1); // another partition: not what we wait for
    clock.advance(50);
    await settle();
    expect(result).toBeUndefined();
    await publish(0);
    clock.advance(50);
    await settle();
    expect(result).toBe(true);
  });

  it('gives up at the next poll once abandon says so (the partition was lost, or the consumer is stopping)', async () => {
    const { bus, clock } = await setup();
    let lost = false;
    let result: boolean | undefined;
    void recordsArrive(bus, clock, { topic: 't', partition: 0, offset: '1', withinMs: 60_000, pollMs: 50, abandon: () => lost }).then((r) => (result = r));
    clock.advance(50);
    await settle();
    expect(result).toBeUndefined();
    lost = true;
    clock.advance(50);
    await settle();
    expect(result).toBe(false);
  });

  it('waits on through a failed poll and reports it', async () => {
    const { bus, clock, publish } = await setup();
    const errors: unknown[] = [];
    let calls = 0;
    const flaky = {
      endOffsets: async (topic: string) => {
        if (calls++ === 0) throw new Error('broker away');
        return bus.endOffsets(topic);
      },
    };
    let result: boolean | undefined;
    void recordsArrive(flaky, clock, { topic: 't', partition: 0, offset: '1', withinMs: 1_000, pollMs: 50, onPollError: (e) => errors.push(e) }).then((r) => (result = r));
    await publish(0);
    clock.advance(50);
    await settle();
    expect(result).toBeUndefined();
    expect(errors).toHaveLength(1);
    clock.advance(50);
    await settle();
    expect(result).toBe(true);
  });
});
