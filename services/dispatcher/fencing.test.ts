/**
 * The fencing epoch (lib/leader) in what the dispatcher publishes and reads
 * back: every TrainingRun carries its leader's epoch, a rebuild never lets a
 * deposed leader's late writes replace its successor's, and a dispatcher
 * refuses to lead below an epoch already on the topic.
 */
import { ErrorCodes, errorCode } from '../../lib/errors';
import type { TrainingRun } from '../../lib/events';
import { MINIMAL_SAMPLE_EVENTS } from '../../lib/events/samples';
import { runIdFor } from './core/names';
import { T0 } from './testing/fixtures';
import { publishRequest, runEvents, startDispatcher, world, type Harness, type World } from './testing/harness';
import { waitFor } from './testing/wait';

const started: Harness[] = [];
afterEach(async () => {
  for (const h of started.splice(0)) await h.app.stop();
});

async function dispatcher(w: World, leaderEpoch?: number): Promise<Harness> {
  const h = await startDispatcher(w, { start: false });
  started.push(h);
  await h.app.start(leaderEpoch);
  return h;
}

const request = (requestId: string) => ({ ...MINIMAL_SAMPLE_EVENTS.RetrainRequested, requestId, modelId: 'queue-model', requestedAt: T0, window: { startTime: T0 - 86_400_000, endTime: T0, partitions: [] } });

function event(requestId: string, over: Partial<TrainingRun>): TrainingRun {
  return { ...MINIMAL_SAMPLE_EVENTS.TrainingRun, runId: runIdFor(requestId), requestId, modelId: 'queue-model', createdAt: T0, updatedAt: T0, ...over };
}

describe('fencing epochs in TrainingRun', () => {
  it('every state change a leader publishes carries its epoch; the single-process mode writes 0', async () => {
    const w = world();
    const h = await dispatcher(w, 7);
    await publishRequest(h, request('r-epoch'));
    await waitFor(() => runEvents(h, runIdFor('r-epoch')).length > 0, 'the QUEUED event');
    expect(new Set(runEvents(h).map((e) => e.leaderEpoch))).toEqual(new Set([7]));
    expect(h.app.engine.store.get(runIdFor('r-epoch'))?.leaderEpoch).toBe(7);

    const single = await dispatcher(world());
    await publishRequest(single, request('r-single'));
    await waitFor(() => runEvents(single).length > 0, 'the QUEUED event');
    expect(runEvents(single)[0]!.leaderEpoch).toBe(0);
  });

  it("a rebuild keeps the successor's state over a deposed leader's late writes, even with a reused or higher sequence", async () => {
    const w = world();
    const writer = await startDispatcher(w, { start: false });
    const codec = writer.codec;
    const id = 'r-zombie';
    const publish = (e: TrainingRun) => w.bus.publish([codec.message('TrainingRun', e)]);
    await publish(event(id, { state: 'QUEUED', sequence: 0, leaderEpoch: 1 }));
    await publish(event(id, { state: 'CANCELLED', previousState: 'QUEUED', sequence: 1, leaderEpoch: 2, message: 'cancelled by the new leader' }));
    // The old leader, cut off, still writes: the same sequence, then a higher one.
    await publish(event(id, { state: 'SUBMITTED', previousState: 'QUEUED', sequence: 1, leaderEpoch: 1, jobName: 'zombie-job' }));
    await publish(event(id, { state: 'FAILED', previousState: 'SUBMITTED', sequence: 2, leaderEpoch: 1 }));
    const h = await dispatcher(w, 3);
    expect(h.app.engine.store.get(runIdFor(id))).toMatchObject({ state: 'CANCELLED', sequence: 1, leaderEpoch: 2, message: 'cancelled by the new leader', jobName: null });
  });

  it('refuses to lead below an epoch already on the topic (a deleted Lease, or a dispatcher without election on these topics), saying what to do', async () => {
    const w = world();
    const writer = await startDispatcher(w, { start: false });
    await w.bus.publish([writer.codec.message('TrainingRun', event('r-high', { state: 'QUEUED', sequence: 0, leaderEpoch: 5 }))]);
    const low = await startDispatcher(w, { start: false });
    started.push(low);
    const error = await low.app.start(2).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(errorCode(error)).toBe(ErrorCodes.CONFLICT);
    expect((error as Error).message).toMatch(/leader epoch 5, above this dispatcher's 2: .*Raise the Lease's spec.leaseTransitions above it/);
    // The same epoch, or a higher one, leads.
    const same = await dispatcher(w, 5);
    expect(same.app.engine.store.get(runIdFor('r-high'))?.leaderEpoch).toBe(5);
  });
});
