/**
 * An evaluator that has not read model-ready to its end must not evaluate
 * anything: it would number the next promotion from incomplete state (issue 14:
 * versions 1, 1, 2, 3 — the compacted topic then shows the champion going back
 * to v1). A catch-up that outlasts its timeout logs and reads on; results and
 * commands wait.
 */
import type { EventBus, InboundMessage, OffsetRange } from '../../lib/bus';
import { Readiness } from '../../lib/metrics';
import { MODEL_ID, championReady, completed, holdoutMetrics, retrainRequest, T0, trainModels, writeArtifact } from './testing/fixtures';
import { FlakyBus, readies, startEvaluator, world, type Running, type World } from './testing/harness';

/** readRange of one topic waits for `open()`: a model-ready topic too big (or a broker too slow) to read within the timeout. */
class SlowTopicBus extends FlakyBus {
  private opened!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.opened = resolve));
  reads = 0;
  constructor(
    inner: EventBus,
    private readonly slowTopic: string,
  ) {
    super(inner, '(none)');
  }
  open(): void {
    this.opened();
  }
  override async readRange(topic: string, ranges: readonly OffsetRange[], onBatch: (messages: readonly InboundMessage[]) => Promise<void>): Promise<void> {
    if (topic === this.slowTopic) {
      this.reads++;
      await this.gate;
    }
    return super.readRange(topic, ranges, onBatch);
  }
}

let w: World;
const running: Running[] = [];
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.app.stop();
});

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

it('waits past its catch-up timeout until model-ready is read, then numbers the next promotion after the champion (v4, not v1)', async () => {
  const { good, holdout } = trainModels();
  const metrics = holdoutMetrics(good, holdout);
  await w.bus.publish([1, 2, 3].map((v) => w.codec.message('ModelReady', { ...championReady(v, `mem://artifacts/${MODEL_ID}/v${v}/`, 'sha', metrics), promotedAt: T0 + v })));
  const dir = `mem://artifacts/${MODEL_ID}/run-late/`;
  const sha = await writeArtifact(w.store, dir, { runId: 'run-late', model: good });
  await w.bus.publish([
    w.codec.message('RetrainRequested', retrainRequest('req-late', T0)),
    w.codec.message('TrainingCompleted', completed({ runId: 'run-late', requestId: 'req-late', artifactUri: dir, sha256: sha, metrics })),
  ]);

  const bus = new SlowTopicBus(w.bus, w.codec.topics.modelReady);
  const readiness = new Readiness();
  let started = false;
  const starting = startEvaluator(w, bus, undefined, readiness).then((r) => {
    started = true;
    running.push(r);
    return r;
  });
  // Three catch-up timeouts (5 s each on the evaluator's clock) pass with model-ready unread.
  for (let round = 1; round <= 3; round++) {
    for (let spins = 0; bus.reads < round && spins < 10_000; spins++) await flush();
    w.clock.advance(5_000);
    await flush();
  }
  await w.bus.drained();
  expect(started).toBe(false);
  expect(readiness.report()).toMatchObject({ ready: false, checks: { state: { ready: false } } });
  expect(readies(w).map((r) => r.version)).toEqual([1, 2, 3]); // nothing evaluated yet

  bus.open();
  const r = await starting;
  await w.bus.drained();
  expect(r.app.state.champion(MODEL_ID)).toMatchObject({ version: 4 });
  expect(readies(w).map((e) => e.version)).toEqual([1, 2, 3, 4]);
  expect(readiness.report().checks.state).toMatchObject({ ready: true });
});
