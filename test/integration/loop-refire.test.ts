/**
 * Issue 13 on the real stack, the whole loop: the four services (trigger,
 * dispatcher with the real in-process trainer, evaluator) as services/demo wires
 * them, on the harness's Kafka and schema registry, over a seeded, stationary
 * card stream published in lockstep with the loop (runDemo). The data lags the
 * wall clock by more than 2 h. What is shown:
 *
 * 1. the first candidate fails a real gate (min-holdout-positives) → after the
 *    refire backoff the trigger asks again (attempt 1, its own requestId) → that
 *    candidate is promoted as v1;
 * 2. the age rule (maxAge, event time) fires when v1's data is exactly maxAge
 *    old in event time — not at the first window judged with v1, as an age taken
 *    from the wall-clock promotedAt would (that age is 2 h+ from the start) — and
 *    its candidate is promoted as v2;
 * 3. roundhouse_evaluator_request_to_promotion_seconds measures the loop's wall
 *    clock (RetrainRequested.emittedAt → ModelReady.promotedAt), seconds, while
 *    every request's requestedAt (event time) is 2 h+ before its emittedAt;
 * 4. the promoted v1 run's RunSpec (the dispatcher pinned its offsets), replayed
 *    through the trainer after the loop, trains on the byte-identical row set —
 *    the manifests have the same offsets and rowsSha256 — although the rest of the
 *    stream and, then, late arrivals inside its window in event time (600 more
 *    transactions, 40 late chargebacks for transactions it read) were published
 *    in between; the same spec without its offsets reads those and other rows.
 *
 * Every number asserted is a function of the seed: the demo publishes 500 events,
 * then waits until every consumer group has caught up and the loop is quiet, so
 * machine speed decides nothing (issue 10). Timeouts only stop a hung run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileArtifactStore } from '../../lib/artifacts/file-store';
import { verifyArtifact } from '../../lib/artifacts/manifest';
import { systemClock } from '../../lib/clock';
import { AvroCodec, createPlatformCodec, topicNames } from '../../lib/codec';
import { subjectFor, type RetrainRequested } from '../../lib/events';
import { silentLogger } from '../../lib/log';
import type { RunSpec } from '../../lib/runspec';
import { EVENTS_PER_SECOND, demoCardStream, runDemo, timeline, type DemoSummary } from '../../services/demo/demo';
import { CHARGEBACK_SCHEMA, produceCards } from '../../services/trainer/testing/fixtures';
import { runTraining } from '../../services/trainer/train';
import { requestIdFor } from '../../services/trigger/core/ids';
import { kafkaBus, registryClient, stackEnv, uniqueName } from '../helpers';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const MODEL = 'card-fraud';
const EVENTS = 36_000; // 12 min of event time at the demo's 50 events/s
/** The catalog's drift window: 2,000 events, i.e. the trigger judges a window every 40 s of event time. */
const WINDOW_MS = (2_000 / EVENTS_PER_SECOND) * SECOND;
/**
 * The holdout (the newest 20 % of the window) of the first VOLUME request
 * (events 0–18,000) holds 35 frauds; that of its retry (events 0–24,000) 50.
 * 42, between the two, rejects the first candidate on a real gate and lets the
 * second through. (The catalog's 20 passes both.)
 */
const MIN_HOLDOUT_POSITIVES = 42;
/** Below the refire backoff, so the backoff is what holds the retry. */
const COOLDOWN_MS = 30 * SECOND;
const BACKOFF_MS = MINUTE;
/** Five windows: the age rule fires on a window end, when the champion's data is exactly this old. */
const MAX_AGE_MS = 5 * WINDOW_MS;
/** The data lags the wall clock by this (and at most a minute more: the start is rounded down to a minute, so windows end on round event indices). */
const LAG_MS = 2 * HOUR;

jest.setTimeout(1_500_000);

interface Histogram {
  count: number;
  sum: number;
}

async function histogram(summary: DemoSummary, name: string): Promise<Histogram> {
  const values = (await summary.metrics.getSingleMetric(name)?.get())?.values ?? [];
  const one = (suffix: string): number => values.find((v) => (v as { metricName?: string }).metricName === `${name}_${suffix}` && v.labels.model === MODEL)?.value ?? Number.NaN;
  return { count: one('count'), sum: one('sum') };
}

async function counter(summary: DemoSummary, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const values = (await summary.metrics.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))?.value;
}

describe('the whole loop on the real stack, 2 h behind the wall clock', () => {
  it('reject → refire → promote v1; AGE in event time → v2; wall-clock latency; the promoted run replays on the same rows', async () => {
    const streamStart = Math.floor((Date.now() - LAG_MS - (EVENTS / EVENTS_PER_SECOND) * SECOND) / MINUTE) * MINUTE;
    const specs = new Map<string, RunSpec>();
    const started = Date.now();
    const summary = await runDemo({
      events: EVENTS,
      driftAt: EVENTS, // no drift: a stationary stream
      out: { write: () => true },
      // Only the harness's Kafka and registry (the demo keeps its artifacts in a temp dir, not S3).
      env: { KAFKA_BROKERS: stackEnv().brokers.join(','), SCHEMA_REGISTRY_URL: stackEnv().registryUrl, LOG_LEVEL: 'error' },
      timeoutMs: 1_200_000,
      streamStart,
      tuneModel: (model) => ({
        ...model,
        triggers: { ...model.triggers, cooldownMs: COOLDOWN_MS, maxAgeMs: MAX_AGE_MS, refire: { backoffMs: BACKOFF_MS, maxBackoffMs: 2 * BACKOFF_MS } },
        evaluation: { ...model.evaluation, minHoldoutPositives: MIN_HOLDOUT_POSITIVES },
      }),
      onRunSpec: (spec) => specs.set(spec.runId, spec),
    });
    await summary.closeMetrics();
    const loopSeconds = (Date.now() - started) / SECOND;
    expect(summary.transport).toMatch(/^Kafka /);

    // ---- the story, as data: three requests, one rejection, two promotions ----
    expect(timeline(summary)).toEqual([
      'VOLUME  events 0–18,000, 16,500 rows / 179 frauds → run SUCCEEDED → REJECT (min-holdout-positives 35.000 vs 42)',
      'VOLUME  events 0–24,000, 22,500 rows / 248 frauds → run SUCCEEDED → PROMOTE → v1',
      'AGE     events 0–34,000, 32,500 rows / 336 frauds → run SUCCEEDED → PROMOTE → v2',
    ]);
    const [first, retry, aged] = summary.requests as [RetrainRequested, RetrainRequested, RetrainRequested];
    const runOf = (request: RetrainRequested) => [...summary.runs.values()].find((run) => run.requestId === request.requestId)!;
    const evaluationOf = (request: RetrainRequested) => summary.evaluations.find((e) => e.runId === runOf(request).runId)!;
    const resultOf = (request: RetrainRequested) => summary.results.find((r) => r.runId === runOf(request).runId)!;

    // 1. A real gate failure, then a new attempt after the backoff, then a promotion.
    expect(first.requestId).toBe(requestIdFor(MODEL, 'VOLUME', 'v0'));
    expect(retry.requestId).toBe(requestIdFor(MODEL, 'VOLUME', 'v0', 1)); // attempt 1: a new request, not a dedupe onto the rejected run
    expect(runOf(retry).runId).not.toBe(runOf(first).runId);
    expect([resultOf(first).holdoutPositives, resultOf(retry).holdoutPositives]).toEqual([35, 50]);
    expect(evaluationOf(first).decision).toBe('REJECT');
    expect(evaluationOf(first).gates.filter((g) => !g.passed)).toEqual([expect.objectContaining({ gate: 'min-holdout-positives', observed: 35, threshold: MIN_HOLDOUT_POSITIVES })]);
    expect(evaluationOf(retry).decision).toBe('PROMOTE');
    expect(evaluationOf(retry).gates.find((g) => g.gate === 'min-holdout-positives')).toMatchObject({ observed: 50, passed: true });
    // The rejection is learnt at the window after the first request at the earliest; the retry waits the backoff from there.
    expect(retry.requestedAt - first.requestedAt).toBeGreaterThanOrEqual(WINDOW_MS + BACKOFF_MS);
    expect(await counter(summary, 'roundhouse_trigger_request_outcomes_total', { model: MODEL, outcome: 'REJECTED' })).toBe(1);
    expect(await counter(summary, 'roundhouse_trigger_suppressed_total', { model: MODEL, reason: 'backoff' })).toBeGreaterThanOrEqual(1);
    const [v1] = summary.promotions;
    expect(summary.promotions.map((p) => [p.version, p.lineage.requestId])).toEqual([
      [1, retry.requestId],
      [2, aged.requestId],
    ]);

    // 2. AGE in event time: exactly maxAge after v1's data ends, from a champion 2 h old on the wall clock.
    const v1DataEnd = v1!.lineage.dataWindow!.endTime;
    expect(v1DataEnd).toBe(retry.window.endTime);
    expect(aged).toMatchObject({ reason: 'AGE', requestId: requestIdFor(MODEL, 'AGE', 'a1'), championVersion: 1, requestedAt: v1DataEnd + MAX_AGE_MS });
    expect(aged.age).toEqual({ championPromotedAt: v1!.promotedAt, ageMs: MAX_AGE_MS, maxAgeMs: MAX_AGE_MS, championDataWindowEnd: v1DataEnd });
    // Aged from promotedAt (wall clock), v1 was older than maxAge at once:
    expect(v1!.promotedAt - v1DataEnd).toBeGreaterThanOrEqual(LAG_MS);
    // yet the trigger judged windows with v1 well before the AGE request: the first one ended less than maxAge after v1's data
    // (data_to_model_lag sums, per champion, the end of its data → the first window judged with it; each term ≥ 0).
    const adoption = await histogram(summary, 'roundhouse_trigger_data_to_model_lag_seconds');
    expect(adoption.count).toBeGreaterThanOrEqual(1);
    expect(adoption.sum).toBeLessThan(MAX_AGE_MS / SECOND);
    expect(evaluationOf(aged)).toMatchObject({ decision: 'PROMOTE', championVersion: 1, mode: 'RESCORED' });

    // 3. Request → promotion latency in one clock (the wall clock), far below the data's 2 h lag.
    const promoted = [retry, aged];
    for (const request of summary.requests) expect(request.emittedAt! - request.requestedAt).toBeGreaterThanOrEqual(LAG_MS);
    const latenciesMs = promoted.map((request, i) => summary.promotions[i]!.promotedAt - request.emittedAt!);
    for (const ms of latenciesMs) {
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThan(600 * SECOND);
    }
    const latency = await histogram(summary, 'roundhouse_evaluator_request_to_promotion_seconds');
    expect(latency.count).toBe(summary.promotions.length);
    expect(latency.sum).toBeCloseTo(latenciesMs.reduce((a, b) => a + b, 0) / SECOND, 3);

    // 4. The v1 run's RunSpec again, after the loop: the same pinned offsets, the same rows.
    const spec = specs.get(v1!.lineage.runId)!;
    expect(spec.requestId).toBe(retry.requestId);
    const pinned = spec.dataWindow.partitions;
    const featureRanges = pinned.filter((r) => r.topic === spec.model.data.featureTopic);
    const labelRanges = pinned.filter((r) => r.topic === spec.model.data.labelTopic);
    expect(featureRanges.map((r) => r.partition)).toEqual([0, 1, 2]);
    expect(labelRanges.map((r) => r.partition)).toEqual([0, 1, 2]);
    const pinnedEvents = featureRanges.reduce((n, r) => n + r.endOffset - r.startOffset, 0);
    expect(pinnedEvents).toBeGreaterThanOrEqual(24_000); // the window's events (and the rest of the chunk being published)
    const bus = kafkaBus(3);
    const root = mkdtempSync(path.join(os.tmpdir(), 'loop-refire-'));
    try {
      // Since the run was pinned, the topics grew: more events, more (late) chargebacks.
      const grown = async (ranges: typeof pinned) => {
        const ends = await bus.endOffsets(ranges[0]!.topic);
        return ranges.reduce((n, r) => n + Number(BigInt(ends.get(r.partition) ?? '0') - BigInt(r.endOffset)), 0);
      };
      expect(await grown(featureRanges)).toBe(EVENTS - pinnedEvents);
      expect(await grown(labelRanges)).toBeGreaterThan(0);

      const avro = new AvroCodec(registryClient());
      // Late arrivals inside the v1 window (event time), published only now: 600 more transactions (another seed, so
      // other event ids; their frauds' chargebacks with them), and 40 late chargebacks for genuine transactions the v1
      // run read, each dated 1 s after its transaction.
      const topics = { featureTopic: spec.model.data.featureTopic, labelTopic: spec.model.data.labelTopic };
      const extra = await produceCards(bus, avro, topics, 600, { seed: 99, startTime: streamStart });
      expect(extra.endTime).toBeLessThan(v1DataEnd - spec.model.data.labelMaturityMs);
      const stream = demoCardStream(streamStart, EVENTS);
      const read = Array.from({ length: pinnedEvents }, () => stream.next());
      const genuine = read.filter((e) => e.label === null && !e.isFraud).slice(0, 40);
      expect(genuine[genuine.length - 1]!.transaction.event_time + 1000).toBeLessThan(v1DataEnd - spec.model.data.labelMaturityMs);
      const chargebacks = await avro.writer(subjectFor(topics.labelTopic), CHARGEBACK_SCHEMA);
      await bus.publish(
        genuine.map(({ transaction: t }) => ({
          topic: topics.labelTopic,
          key: t.event_id,
          timestamp: t.event_time + 1000,
          value: chargebacks.encode({ event_id: t.event_id, label_time: t.event_time + 1000, is_fraud: true, reason_code: 'late', amount: t.amount, merchant_id: t.merchant_id }),
        })),
      );

      const codec = await createPlatformCodec(avro, topicNames(`${uniqueName('loop-rerun')}.`));
      await bus.ensureTopics([{ name: codec.topics.trainingResults, partitions: 1 }]);
      const artifacts = new FileArtifactStore(pathToFileURL(summary.artifactDir).href);
      const firstResult = resultOf(retry);
      const firstArtifact = await verifyArtifact(artifacts, firstResult.artifactUri!, firstResult.artifactSha256);

      const rerunDir = `${pathToFileURL(path.join(root, 'rerun')).href}/`;
      const deps = { bus, avroCodec: avro, platformCodec: codec, artifacts: new FileArtifactStore(`${pathToFileURL(root).href}/`), clock: systemClock, logger: silentLogger() };
      const rerun = await runTraining({ ...spec, artifactUri: rerunDir }, deps, { timestampSlackMs: 0 });
      expect(rerun.event).toMatchObject({ status: 'SUCCEEDED', runId: spec.runId, rows: firstResult.rows, positives: firstResult.positives });
      const second = await verifyArtifact(deps.artifacts, rerunDir, rerun.event.artifactSha256);

      expect(firstArtifact.manifest.dataWindow.partitions).toEqual(pinned);
      expect(second.manifest.dataWindow.partitions).toEqual(pinned);
      expect(firstArtifact.manifest.rowsSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(second.manifest.rowsSha256).toBe(firstArtifact.manifest.rowsSha256);
      expect([second.manifest.rows, second.manifest.positives]).toEqual([firstArtifact.manifest.rows, firstArtifact.manifest.positives]);
      expect([second.manifest.rows, second.manifest.positives]).toEqual([22_500, 248]);
      // Without its pinned offsets the same spec reads the late arrivals: other rows, as its manifest shows.
      const freeDir = `${pathToFileURL(path.join(root, 'unpinned')).href}/`;
      const free = await runTraining({ ...spec, artifactUri: freeDir, dataWindow: { ...spec.dataWindow, partitions: [] } }, deps, { timestampSlackMs: 0 });
      const unpinned = (await verifyArtifact(deps.artifacts, freeDir, free.event.artifactSha256)).manifest;
      expect(unpinned.rowsSha256).not.toBe(firstArtifact.manifest.rowsSha256);
      const extraFrauds = extra.events.filter((e) => e.label?.is_fraud === true).length;
      expect([unpinned.rows, unpinned.positives]).toEqual([22_500 + 600, 248 + 40 + extraFrauds]);

      process.stdout.write(
        `loop-refire: loop ${loopSeconds.toFixed(1)} s; holdout positives ${resultOf(first).holdoutPositives}/${resultOf(retry).holdoutPositives} vs ${MIN_HOLDOUT_POSITIVES}; ` +
          `emittedAt − requestedAt ${summary.requests.map((r) => ((r.emittedAt! - r.requestedAt) / SECOND).toFixed(1)).join(', ')} s; ` +
          `latencies ${latenciesMs.map((ms) => (ms / SECOND).toFixed(3)).join(', ')} s; histogram count ${latency.count} sum ${latency.sum}; ` +
          `data→model lag sum ${adoption.sum} s over ${adoption.count}; pinned ${JSON.stringify(pinned)}; rowsSha256 ${second.manifest.rowsSha256}; ` +
          `unpinned ${unpinned.rows} rows / ${unpinned.positives} positives, rowsSha256 ${unpinned.rowsSha256}\n`,
      );
    } finally {
      await bus.close();
      rmSync(root, { recursive: true, force: true });
      rmSync(summary.artifactDir, { recursive: true, force: true });
    }
  });
});
