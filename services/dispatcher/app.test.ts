import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import { dlqTopicFor } from '../../lib/events';
import { runIdFor } from './core/names';
import { newRun } from './core/run';
import { runMessage } from './engine/messages';
import { NONCE, request, model, T0 } from './testing/fixtures';
import { FlakyBus, Harness, publishRequest, runEvents, startDispatcher, world } from './testing/harness';
import { waitFor } from './testing/wait';

const running: Harness[] = [];
async function start(...args: Parameters<typeof startDispatcher>): Promise<Harness> {
  const h = await startDispatcher(...args);
  running.push(h);
  return h;
}
afterEach(async () => {
  for (const h of running.splice(0)) await h.app.stop();
});

const states = (h: Harness, runId: string) => runEvents(h, runId).map((e) => e.state);
const stateOf = (h: Harness, runId: string) => h.app.engine.store.get(runId)?.state;
async function settle(h: Harness): Promise<void> {
  await h.world.bus.drained();
  await h.app.engine.idle();
}

describe('dispatcher app: a request becomes one run', () => {
  it('publishes QUEUED, SUBMITTED, RUNNING, SUCCEEDED with a monotonic sequence, keyed by model', async () => {
    const h = await start(world());
    await publishRequest(h, request({ requestId: 'rr-1' }));
    const runId = runIdFor('rr-1');
    await waitFor(() => stateOf(h, runId) === 'SUBMITTED', 'SUBMITTED');
    expect(h.world.executor.submitted()).toEqual([runId]);

    h.world.executor.setPhase(runId, 'RUNNING');
    await waitFor(() => stateOf(h, runId) === 'RUNNING', 'RUNNING');
    h.world.executor.setPhase(runId, 'SUCCEEDED');
    await waitFor(() => stateOf(h, runId) === 'SUCCEEDED', 'SUCCEEDED');

    const events = runEvents(h, runId);
    expect(events.map((e) => [e.state, e.previousState, e.sequence])).toEqual([
      ['QUEUED', null, 0],
      ['SUBMITTED', 'QUEUED', 1],
      ['RUNNING', 'SUBMITTED', 2],
      ['SUCCEEDED', 'RUNNING', 3],
    ]);
    expect(events[1]!.jobName).toMatch(/^rh-queue-model-[0-9a-f]{10}$/);
    expect(events.every((e) => e.modelId === 'queue-model' && e.executor === 'kubernetes' && e.reason === 'DRIFT' && e.priority === 40)).toBe(true);
    const keys = h.world.bus.messages('roundhouse.training-runs').map((m) => m.key?.toString());
    expect(new Set(keys)).toEqual(new Set(['queue-model']));
  });

  it('hands the executor a run spec with merged hyperparameters and the data window', async () => {
    const h = await start(world());
    // Three feature records two days before the window, two inside it; one label inside.
    await h.world.bus.publish([
      ...[2, 2, 2, 1 / 24, 1 / 24].map((days) => ({ topic: 'fraud.features', partition: 1, key: null, value: Buffer.from('f'), timestamp: T0 - days * 86_400_000 })),
      { topic: 'fraud.labels', partition: 0, key: null, value: Buffer.from('l'), timestamp: T0 - 3_600_000 },
    ]);
    await publishRequest(h, request({ requestId: 'rr-spec', hyperparameters: '{"epochs":50}', segment: null }));
    const runId = runIdFor('rr-spec');
    await waitFor(() => h.world.executor.workloads.get(runId), 'the workload');
    const { runSpec, run } = h.world.executor.workloads.get(runId)!;
    expect(run.nonce).toMatch(/^[0-9a-f]{8}$/);
    expect(runSpec).toMatchObject({ runId, modelId: 'queue-model', hyperparameters: { l2: 0.01, epochs: 50 }, artifactUri: `s3://artifacts/queue-model/${runId}-${run.nonce}/` });
    // Pinned data: the request had no offsets, the run has them (from the window start − 5 min to the end at creation).
    const pinned = [0, 1, 2].map((partition) => ({ topic: 'fraud.features', partition, startOffset: partition === 1 ? 3 : 0, endOffset: partition === 1 ? 5 : 0 }));
    pinned.push(...[0, 1, 2].map((partition) => ({ topic: 'fraud.labels', partition, startOffset: 0, endOffset: partition === 0 ? 1 : 0 })));
    expect(runSpec.dataWindow).toEqual({ startTime: T0 - 86_400_000, endTime: T0, partitions: pinned });
    expect(runEvents(h, runId)[0]!.dataWindow.partitions).toEqual(pinned);
  });

  it('pins once: a redelivery after more data keeps the run offsets; offsets the request carries are kept as given', async () => {
    const h = await start(world());
    const inWindow = (n: number) => Array.from({ length: n }, () => ({ topic: 'fraud.features', partition: 0, key: null, value: Buffer.from('f'), timestamp: T0 - 3_600_000 }));
    await h.world.bus.publish(inWindow(4));
    await publishRequest(h, request({ requestId: 'rr-pin' }));
    const runId = runIdFor('rr-pin');
    await waitFor(() => h.app.engine.store.get(runId), 'the run');
    const first = h.app.engine.store.get(runId)!.dataWindow.partitions;
    expect(first.find((r) => r.topic === 'fraud.features' && r.partition === 0)).toEqual({ topic: 'fraud.features', partition: 0, startOffset: 0, endOffset: 4 });
    await h.world.bus.publish(inWindow(3));
    await publishRequest(h, request({ requestId: 'rr-pin' }));
    await settle(h);
    expect(h.app.engine.store.get(runId)!.dataWindow.partitions).toEqual(first);

    const given = [{ topic: 'fraud.features', partition: 0, startOffset: 1, endOffset: 2 }];
    const base = request({ requestId: 'rr-given' });
    await publishRequest(h, { ...base, window: { ...base.window, partitions: given } });
    await waitFor(() => h.app.engine.store.get(runIdFor('rr-given')), 'the run');
    expect(h.app.engine.store.get(runIdFor('rr-given'))!.dataWindow.partitions).toEqual(given);
  });

  it.each([
    ['a lookup past DISPATCHER_PIN_TIMEOUT', 'timeout', (): Promise<ReadonlyMap<number, string>> => new Promise(() => undefined)],
    ['a feature topic that does not exist', 'topic_missing', (): Promise<ReadonlyMap<number, string>> => Promise.reject(new RoundhouseError(ErrorCodes.NOT_FOUND, 'topic fraud.features does not exist'))],
  ])('%s: the run is created unpinned at once, and counted', async (_what, reason, offsetsForTime) => {
    const w = world();
    const bus = new FlakyBus(w.bus, 'none', () => new Error('unused'));
    bus.offsetsForTime = offsetsForTime;
    const h = await start(w, { bus, config: { pinTimeoutMs: 50 } });
    await publishRequest(h, request({ requestId: `rr-${reason}` }));
    const runId = runIdFor(`rr-${reason}`);
    await waitFor(() => h.app.engine.store.get(runId), 'the run');
    expect(h.app.engine.store.get(runId)!.dataWindow.partitions).toEqual([]);
    expect(await h.metrics.registry.metrics()).toContain(`roundhouse_dispatcher_unpinned_runs_total{model="queue-model",reason="${reason}"} 1`);
  });

  it('reports a failed Job with its reason and failure', async () => {
    const h = await start(world());
    await publishRequest(h, request({ requestId: 'rr-fail' }));
    const runId = runIdFor('rr-fail');
    await waitFor(() => stateOf(h, runId) === 'SUBMITTED', 'SUBMITTED');
    h.world.executor.setPhase(runId, 'FAILED', { message: 'DeadlineExceeded: Job was active longer than specified deadline', failure: { code: 'DEADLINE_EXCEEDED', message: 'DeadlineExceeded', retriable: true } });
    await waitFor(() => stateOf(h, runId) === 'FAILED', 'FAILED');
    expect(states(h, runId)).toEqual(['QUEUED', 'SUBMITTED', 'FAILED']);
    expect(runEvents(h, runId).at(-1)).toMatchObject({ message: 'DeadlineExceeded: Job was active longer than specified deadline', failure: { code: 'DEADLINE_EXCEEDED' } });
  });

  it('the same request delivered twice makes one run and one workload', async () => {
    const h = await start(world());
    await publishRequest(h, request({ requestId: 'rr-dup' }));
    await publishRequest(h, request({ requestId: 'rr-dup' }));
    await settle(h);
    await waitFor(() => stateOf(h, runIdFor('rr-dup')) === 'SUBMITTED', 'SUBMITTED');
    await publishRequest(h, request({ requestId: 'rr-dup' }));
    await settle(h);
    expect(h.app.engine.store.size).toBe(1);
    expect(h.world.executor.submitted()).toEqual([runIdFor('rr-dup')]);
    expect(states(h, runIdFor('rr-dup'))).toEqual(['QUEUED', 'SUBMITTED']);
  });

  it('commits the request only after its QUEUED event is published (a failed publish is redelivered)', async () => {
    const w = world();
    const bus = new FlakyBus(w.bus, 'roundhouse.training-runs', () => new RoundhouseError(ErrorCodes.KAFKA_UNAVAILABLE, 'broker down'));
    const h = await start(w, { bus });
    bus.failures = 1;
    await publishRequest(h, request({ requestId: 'rr-flaky' }));
    await waitFor(() => bus.failures === 0, 'the failed publish');
    expect(h.app.engine.store.size).toBe(0);
    expect(w.bus.committedOffset('roundhouse-dispatcher', 'roundhouse.retrain-requests', w.bus.messages('roundhouse.retrain-requests')[0]!.partition)).toBeUndefined();
    w.clock.advance(60_000); // the paused partition's backoff elapses
    await waitFor(() => stateOf(h, runIdFor('rr-flaky')) === 'SUBMITTED', 'the redelivered request to make its run');
    expect(states(h, runIdFor('rr-flaky'))).toEqual(['QUEUED', 'SUBMITTED']);
  });

  it('dead-letters a request for a model the catalog does not know, and carries on', async () => {
    const h = await start(world());
    await publishRequest(h, request({ requestId: 'rr-unknown', modelId: 'no-such-model' }));
    await publishRequest(h, request({ requestId: 'rr-after' }));
    await waitFor(() => stateOf(h, runIdFor('rr-after')) === 'SUBMITTED', 'the next request to be served');
    const dead = h.world.bus.messages(dlqTopicFor('roundhouse.retrain-requests'));
    expect(dead).toHaveLength(1);
    expect(dead[0]!.headers['roundhouse.dlq.error-code']).toBe('NOT_FOUND');
    expect(dead[0]!.headers['roundhouse.dlq.error-message']).toContain('no-such-model');
  });
});

describe('dispatcher app: restart', () => {
  it('rebuilds state from the topic, adopts the running Job and does not resubmit', async () => {
    const w = world();
    const first = await start(w);
    await publishRequest(first, request({ requestId: 'rr-restart' }));
    const runId = runIdFor('rr-restart');
    await waitFor(() => stateOf(first, runId) === 'SUBMITTED', 'SUBMITTED');
    w.executor.setPhase(runId, 'RUNNING');
    await waitFor(() => stateOf(first, runId) === 'RUNNING', 'RUNNING');
    await first.app.stop();
    running.splice(running.indexOf(first), 1);

    const second = await start(w);
    expect(second.app.engine.store.get(runId)).toMatchObject({ state: 'RUNNING', sequence: 2 });
    w.executor.setPhase(runId, 'SUCCEEDED');
    await waitFor(() => stateOf(second, runId) === 'SUCCEEDED', 'SUCCEEDED after the restart');
    expect(w.executor.submitted()).toEqual([runId]);
    expect(runEvents(second, runId).map((e) => [e.state, e.sequence])).toEqual([
      ['QUEUED', 0],
      ['SUBMITTED', 1],
      ['RUNNING', 2],
      ['SUCCEEDED', 3],
    ]);
  });

  it('adopts a Job created just before a crash that left the run QUEUED', async () => {
    const w = world();
    const probe = await start(w);
    const queued = newRun(request({ requestId: 'rr-crash', segment: 'mrc-7', requestedBy: 'ops' }), model(w.catalog, 'queue-model'), 'kubernetes', T0, NONCE);
    await probe.app.stop();
    running.splice(running.indexOf(probe), 1);
    await w.bus.publish([runMessage(probe.codec, queued)]);
    await w.executor.submit(queued, { runId: queued.runId } as never);
    w.executor.calls.length = 0;

    const h = await start(w);
    await waitFor(() => stateOf(h, queued.runId) === 'SUBMITTED', 'the Job to be adopted');
    expect(w.executor.submitted()).toEqual([]);
    expect(runEvents(h, queued.runId).at(-1)).toMatchObject({ state: 'SUBMITTED', message: 'adopted existing workload', sequence: 1 });
    expect(h.app.engine.store.get(queued.runId)).toMatchObject({ segment: 'mrc-7', requestedBy: 'ops' });
  });

  it('redelivery of an already-processed request after a restart changes nothing', async () => {
    const w = world();
    const first = await start(w);
    await publishRequest(first, request({ requestId: 'rr-again' }));
    await waitFor(() => stateOf(first, runIdFor('rr-again')) === 'SUBMITTED', 'SUBMITTED');
    await first.app.stop();
    running.splice(running.indexOf(first), 1);
    const second = await start(w, { config: { groupId: 'a-fresh-group-rereads-everything' } });
    await settle(second);
    expect(w.executor.submitted()).toEqual([runIdFor('rr-again')]);
    expect(states(second, runIdFor('rr-again'))).toEqual(['QUEUED', 'SUBMITTED']);
  });

  it("keeps a run attempt's nonce through redeliveries and a restart: one Job, one artifact directory", async () => {
    const w = world();
    const first = await start(w);
    const runId = runIdFor('rr-nonce');
    await publishRequest(first, request({ requestId: 'rr-nonce' }));
    await waitFor(() => stateOf(first, runId) === 'SUBMITTED', 'SUBMITTED');
    const { nonce } = first.app.engine.store.get(runId)!;
    expect(nonce).toMatch(/^[0-9a-f]{8}$/);
    await publishRequest(first, request({ requestId: 'rr-nonce' }));
    await settle(first);
    await first.app.stop();
    running.splice(running.indexOf(first), 1);
    const second = await start(w);
    expect(second.app.engine.store.get(runId)!.nonce).toBe(nonce);
    await publishRequest(second, request({ requestId: 'rr-nonce' }));
    await settle(second);
    expect(w.executor.submitted()).toEqual([runId]);
    expect(new Set(w.bus.messages('roundhouse.training-runs').map((m) => m.headers['roundhouse.run.nonce']))).toEqual(new Set([nonce]));
    expect(w.executor.workloads.get(runId)!.runSpec.artifactUri).toBe(`s3://artifacts/queue-model/${runId}-${nonce}/`);
  });

  it("a request id reused after retention is a new attempt: it neither adopts the old run's Job nor reuses its artifact directory", async () => {
    const w = world();
    const first = await start(w);
    const runId = runIdFor('rr-reused');
    await publishRequest(first, request({ requestId: 'rr-reused' }));
    await waitFor(() => stateOf(first, runId) === 'SUBMITTED', 'SUBMITTED');
    w.executor.setPhase(runId, 'SUCCEEDED');
    await waitFor(() => stateOf(first, runId) === 'SUCCEEDED', 'SUCCEEDED');
    const old = first.app.engine.store.get(runId)!;
    const oldSpec = w.executor.workloads.get(runId)!.runSpec;
    await first.app.stop();
    running.splice(running.indexOf(first), 1);
    // Retention removes the run's history; its Job (a long TTL) and its artifacts remain.
    for (const [partition, end] of await w.bus.endOffsets('roundhouse.training-runs')) w.bus.truncate('roundhouse.training-runs', partition, Number(end));

    const second = await start(w);
    expect(second.app.engine.store.get(runId)).toBeUndefined();
    await publishRequest(second, request({ requestId: 'rr-reused' }));
    await waitFor(() => stateOf(second, runId) === 'SUBMITTED', 'the new attempt to be submitted');
    const again = second.app.engine.store.get(runId)!;
    expect(again.nonce).not.toBe(old.nonce);
    expect(again.jobName).not.toBe(old.jobName);
    expect(again.message).not.toBe('adopted existing workload');
    expect(w.executor.submitted()).toEqual([runId, runId]);
    expect(w.executor.workloads.get(runId)!.runSpec.artifactUri).not.toBe(oldSpec.artifactUri);
    await settle(second);
    expect(stateOf(second, runId)).toBe('SUBMITTED');
  });

  it('fails a run whose Job vanished while the dispatcher was away, after the grace period', async () => {
    const w = world();
    const first = await start(w);
    await publishRequest(first, request({ requestId: 'rr-lost' }));
    const runId = runIdFor('rr-lost');
    await waitFor(() => stateOf(first, runId) === 'SUBMITTED', 'SUBMITTED');
    await first.app.stop();
    running.splice(running.indexOf(first), 1);
    w.executor.remove(runId);
    const second = await start(w);
    expect(stateOf(second, runId)).toBe('SUBMITTED');
    w.clock.advance(150_000);
    await waitFor(() => stateOf(second, runId) === 'FAILED', 'FAILED after the grace period');
    expect(runEvents(second, runId).at(-1)!.failure).toMatchObject({ code: 'JOB_NOT_FOUND' });
  });
});

describe('dispatcher app: admission', () => {
  it('queue policy: one in flight per model, the next starts when it ends', async () => {
    const h = await start(world());
    await publishRequest(h, request({ requestId: 'rr-q1' }));
    await waitFor(() => stateOf(h, runIdFor('rr-q1')) === 'SUBMITTED', 'first SUBMITTED');
    await publishRequest(h, request({ requestId: 'rr-q2' }));
    await settle(h);
    expect(stateOf(h, runIdFor('rr-q2'))).toBe('QUEUED');
    h.world.executor.setPhase(runIdFor('rr-q1'), 'SUCCEEDED');
    await waitFor(() => stateOf(h, runIdFor('rr-q2')) === 'SUBMITTED', 'second SUBMITTED');
    expect(stateOf(h, runIdFor('rr-q1'))).toBe('SUCCEEDED');
  });

  it('supersede policy: the newest request cancels the in-flight run and starts', async () => {
    const h = await start(world());
    await publishRequest(h, request({ requestId: 'rr-s1', modelId: 'super-model' }));
    await waitFor(() => stateOf(h, runIdFor('rr-s1')) === 'SUBMITTED', 'first SUBMITTED');
    h.world.executor.setPhase(runIdFor('rr-s1'), 'RUNNING');
    await waitFor(() => stateOf(h, runIdFor('rr-s1')) === 'RUNNING', 'first RUNNING');
    h.world.clock.advance(1000);
    await publishRequest(h, request({ requestId: 'rr-s2', modelId: 'super-model' }));
    await waitFor(() => stateOf(h, runIdFor('rr-s2')) === 'SUBMITTED', 'second SUBMITTED');
    expect(stateOf(h, runIdFor('rr-s1'))).toBe('CANCELLED');
    expect(runEvents(h, runIdFor('rr-s1')).at(-1)!.failure).toMatchObject({ code: 'SUPERSEDED', message: `superseded by run ${runIdFor('rr-s2')}` });
    expect(h.world.executor.calls).toContainEqual({ op: 'cancel', runId: runIdFor('rr-s1') });
    expect(h.world.executor.maxActivePerModel.get('super-model')).toBe(1);
  });

  it('global limit and priority: MANUAL before AGE when a slot frees', async () => {
    const h = await start(world(), { config: { maxConcurrentRuns: 1 } });
    await publishRequest(h, request({ requestId: 'rr-first', modelId: 'queue-model' }));
    await waitFor(() => stateOf(h, runIdFor('rr-first')) === 'SUBMITTED', 'first SUBMITTED');
    await publishRequest(h, request({ requestId: 'rr-age', modelId: 'super-model' }, 'AGE'));
    await publishRequest(h, request({ requestId: 'rr-manual', modelId: 'gpu-model' }, 'MANUAL'));
    await settle(h);
    expect([stateOf(h, runIdFor('rr-age')), stateOf(h, runIdFor('rr-manual'))]).toEqual(['QUEUED', 'QUEUED']);
    h.world.executor.setPhase(runIdFor('rr-first'), 'SUCCEEDED');
    await waitFor(() => stateOf(h, runIdFor('rr-manual')) === 'SUBMITTED', 'MANUAL first');
    expect(stateOf(h, runIdFor('rr-age'))).toBe('QUEUED');
  });
});

describe('dispatcher app: executor failures', () => {
  it('keeps a run QUEUED while the executor is unavailable and submits at the next resync', async () => {
    const h = await start(world());
    h.world.executor.failNextSubmit(new RoundhouseError(ErrorCodes.KUBERNETES_UNAVAILABLE, 'api server down'));
    await publishRequest(h, request({ requestId: 'rr-retry' }));
    await waitFor(() => h.world.executor.submitted().length === 1, 'the failed submit');
    await settle(h);
    expect(stateOf(h, runIdFor('rr-retry'))).toBe('QUEUED');
    h.world.clock.advance(30_000);
    await waitFor(() => stateOf(h, runIdFor('rr-retry')) === 'SUBMITTED', 'SUBMITTED at the resync');
    const text = await h.metrics.registry.metrics();
    expect(text).toContain('roundhouse_dispatcher_executor_errors_total{executor="kubernetes",operation="submit",code="KUBERNETES_UNAVAILABLE"} 1');
  });

  it('fails a run the executor refuses (name taken by a foreign Job)', async () => {
    const h = await start(world());
    h.world.executor.failNextSubmit(new RoundhouseError(ErrorCodes.CONFLICT, 'job exists and is not ours'));
    await publishRequest(h, request({ requestId: 'rr-conflict' }));
    await waitFor(() => stateOf(h, runIdFor('rr-conflict')) === 'FAILED', 'FAILED');
    expect(runEvents(h, runIdFor('rr-conflict')).at(-1)).toMatchObject({ previousState: 'QUEUED', failure: { code: 'SUBMIT_REJECTED', retriable: false } });
  });

  it('cancels: records CANCELLED, deletes the workload, and retries the delete if it failed', async () => {
    const h = await start(world());
    await publishRequest(h, request({ requestId: 'rr-cancel' }));
    const runId = runIdFor('rr-cancel');
    await waitFor(() => stateOf(h, runId) === 'SUBMITTED', 'SUBMITTED');
    const executor = h.world.executor;
    const realCancel = executor.cancel.bind(executor);
    let failOnce = true;
    executor.cancel = async (ref) => {
      if (failOnce) {
        failOnce = false;
        throw new RoundhouseError(ErrorCodes.KUBERNETES_UNAVAILABLE, 'api server down');
      }
      return realCancel(ref);
    };
    await h.app.engine.cancel(runId);
    expect(stateOf(h, runId)).toBe('CANCELLED');
    expect(executor.workloads.has(runId)).toBe(true);
    h.world.clock.advance(30_000);
    await waitFor(() => !executor.workloads.has(runId), 'the workload deleted at the resync');
    await expect(h.app.engine.cancel(runId)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('counts runs by state and transitions in its metrics', async () => {
    const h = await start(world());
    await publishRequest(h, request({ requestId: 'rr-metrics' }));
    await waitFor(() => stateOf(h, runIdFor('rr-metrics')) === 'SUBMITTED', 'SUBMITTED');
    const text = await h.metrics.registry.metrics();
    expect(text).toContain('roundhouse_dispatcher_runs{model="queue-model",state="SUBMITTED"} 1');
    expect(text).toContain('roundhouse_dispatcher_runs{model="queue-model",state="QUEUED"} 0');
    expect(text).toContain('roundhouse_dispatcher_run_transitions_total{model="queue-model",from="QUEUED",to="SUBMITTED"} 1');
  });
});
