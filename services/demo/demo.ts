import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { createBatchProcessor, groupsCaughtUp, type ConsumerGroupTopics, type EventBus, type OutboundMessage } from '../../lib/bus';
import { isTerminal } from '../dispatcher/core/states';
import type { Registry } from 'prom-client';
import { loadCatalog, type Catalog, type ModelSpec } from '../../lib/catalog';
import { systemClock } from '../../lib/clock';
import { AvroCodec, type PlatformCodec } from '../../lib/codec';
import { MODEL_READY_TOPIC_CONFIG, type ModelEvaluated, type ModelMetrics, type ModelReady, type RetrainRequested, type TrainingCompleted, type TrainingRun } from '../../lib/events';
import { FileArtifactStore } from '../../lib/artifacts/file-store';
import type { Logger } from '../../lib/log';
import { createServiceMetrics, startProbeServer } from '../../lib/metrics';
import { createRuntime } from '../../lib/runtime';
import type { RunSpec } from '../../lib/runspec';
import { createCardStream, type CardStream, type CardTransaction, type Chargeback } from '../../lib/synthetic';
import { createDispatcherApp, DEFAULT_DISPATCHER_CONFIG } from '../dispatcher/app';
import { busRunLog } from '../dispatcher/engine/run-log';
import { InProcessExecutor } from '../dispatcher/executors/in-process';
import { createEvaluatorApp } from '../evaluator/app';
import { runTraining } from '../trainer/train';
import { createTriggerApp } from '../trigger/app';
import { Progress } from './progress';

/**
 * The whole loop in one process: a synthetic card-transaction stream with a fraud
 * pattern flows into the trigger; enough matured labels train the first model;
 * part-way through, a drift is injected (amounts, countries and velocity shift);
 * the trigger detects it, the dispatcher runs the trainer, the evaluator judges
 * the candidate against the champion and promotes it, and the trigger switches to
 * the new reference profile. On the in-memory bus by default; on Kafka and the
 * schema registry when KAFKA_BROKERS and SCHEMA_REGISTRY_URL are set.
 */
export interface DemoOptions {
  readonly events: number;
  readonly driftAt: number;
  readonly out: { write(s: string): boolean; isTTY?: boolean };
  /** The environment (main.ts passes process.env); LOG_LEVEL defaults to error so progress stays readable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs?: number;
  /** Serve /metrics (every service's registry) on this port while the demo runs; 0 picks a free port. */
  readonly metricsPort?: number;
  /**
   * Event time of the stream's first event (default 2026-01-01T00:00Z). A start
   * close to the wall clock makes the data lag it by a chosen amount (issue 13:
   * rules must measure event time, latency the wall clock).
   */
  readonly streamStart?: number;
  /**
   * Adjusts the card-fraud model of config/catalog.yaml for this run (gates,
   * triggers.refire, maxAge, cooldown…); default: as the catalog has it. Every
   * service of the run sees the adjusted model.
   */
  readonly tuneModel?: (model: ModelSpec) => ModelSpec;
  /** Called with every RunSpec the dispatcher hands the in-process trainer, before it trains. */
  readonly onRunSpec?: (spec: RunSpec) => void;
}

export interface DemoSummary {
  readonly requests: RetrainRequested[];
  readonly runs: Map<string, TrainingRun>;
  readonly results: TrainingCompleted[];
  readonly evaluations: ModelEvaluated[];
  readonly promotions: ModelReady[];
  readonly artifactDir: string;
  readonly transport: string;
  readonly driftAt: number;
  /** Event time of the stream's first event (DemoOptions.streamStart). */
  readonly streamStart: number;
  /** The registry every service of the run registered its metrics in (roundhouse_trigger_*, roundhouse_evaluator_*…). */
  readonly metrics: Registry;
  /** Where /metrics is served (with metricsPort); closeMetrics() stops it. */
  readonly metricsUrl?: string;
  closeMetrics(): Promise<void>;
}

const MODEL = 'card-fraud';
const CARD_SCHEMA = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schemas', 'examples', 'CardTransaction.avsc'), 'utf8')) as object;
const CHARGEBACK_SCHEMA = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schemas', 'examples', 'Chargeback.avsc'), 'utf8')) as object;

/** The demo catalog: the card-fraud model of config/catalog.yaml (tuned by `tune`), on this run's topics. */
function demoCatalog(path: string, prefix: string, tune: (model: ModelSpec) => ModelSpec = (m) => m): Catalog {
  const catalog = loadCatalog(path);
  const model = catalog.models.find((m) => m.id === MODEL);
  if (!model) throw new Error(`${path} has no ${MODEL} model`);
  const tuned = tune(model);
  return {
    version: 1,
    models: [{ ...tuned, data: { ...tuned.data, featureTopic: `${prefix}fraud.features`, labelTopic: `${prefix}fraud.labels` } }],
  };
}

/** The synthetic stream's clock: event i happens at start + i / EVENTS_PER_SECOND s (start: DemoOptions.streamStart). */
const STREAM_START = Date.UTC(2026, 0, 1);
export const EVENTS_PER_SECOND = 50;
const eventIndexAt = (time: number, start: number): number => Math.max(0, Math.round(((time - start) / 1000) * EVENTS_PER_SECOND));

/** The demo's seeded card stream from `streamStart`, drifting from event `driftAt` on (tests regenerate what the demo published with it). */
export function demoCardStream(streamStart: number, driftAt: number): CardStream {
  return createCardStream({
    seed: 42,
    startTime: streamStart,
    eventsPerSecond: EVENTS_PER_SECOND,
    drift: { fromIndex: driftAt, amountScale: 2.5, countryWeights: { BR: 0.35, NG: 0.25, US: 0.2, GB: 0.2 }, velocityScale: 2 },
  });
}

const fmt = (n: number | null | undefined, digits = 3): string => (n === null || n === undefined ? 'n/a' : n.toFixed(digits));
const metricsLine = (m: ModelMetrics | null): string =>
  m ? `ROC-AUC ${fmt(m.rocAuc)}  PR-AUC ${fmt(m.prAuc)}  log-loss ${fmt(m.logLoss, 4)}  recall@1%FPR ${fmt(m.recallAt1PctFpr)}  rows ${m.rows}` : 'n/a';

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const runtime = await createRuntime('demo', { allowEmbedded: true, probes: false, env: { LOG_LEVEL: 'error', ...(options.env ?? {}) } });
  const embedded = runtime.config.kafka === undefined;
  const prefix = embedded ? '' : `demo-${Date.now().toString(36)}.`;
  const logger: Logger = runtime.logger;
  const catalog = demoCatalog(runtime.config.catalogPath, prefix, options.tuneModel);
  const streamStart = options.streamStart ?? STREAM_START;
  const model = catalog.models[0]!;
  const bus: EventBus = runtime.bus;
  const codec: PlatformCodec = embedded ? runtime.codec : await (await import('../../lib/codec')).createPlatformCodec(new AvroCodec(runtime.registry), (await import('../../lib/codec')).topicNames(prefix));
  const artifactDir = mkdtempSync(join(tmpdir(), 'roundhouse-demo-'));
  const artifacts = new FileArtifactStore(pathToFileURL(artifactDir).href);
  const progress = new Progress(options.out, options.events);
  const say = (text: string): void => progress.say(text);

  await bus.ensureTopics([
    { name: model.data.featureTopic, partitions: 3 },
    { name: model.data.labelTopic, partitions: 3 },
    { name: codec.topics.modelReady, compacted: true, config: MODEL_READY_TOPIC_CONFIG },
    { name: codec.topics.trainingRuns },
    { name: codec.topics.retrainRequests },
    { name: codec.topics.trainingResults },
    { name: codec.topics.evaluations },
  ]);

  // ---- the four services, wired as their main.ts files do, on one bus ------
  const metricsFor = (service: string) => createServiceMetrics(service, { registry: runtime.metrics.registry });
  const trigger = createTriggerApp({ bus, codec, catalog, logger, metrics: metricsFor('trigger'), instanceId: 'demo', groupId: `${prefix}roundhouse-trigger` });
  const trainerDeps = { bus, avroCodec: codec.avro, platformCodec: codec, artifacts, clock: systemClock, logger };
  const dispatcher = createDispatcherApp({
    bus,
    codec,
    catalog,
    executor: new InProcessExecutor(
      async (spec) => {
        options.onRunSpec?.(spec);
        return (await runTraining(spec, trainerDeps, { timestampSlackMs: 0 })).exitCode;
      },
      logger,
      model.training.retries,
    ),
    runLog: busRunLog(bus, { clock: systemClock, logger }),
    clock: systemClock,
    logger,
    metrics: metricsFor('dispatcher'),
    config: { ...DEFAULT_DISPATCHER_CONFIG, groupId: `${prefix}roundhouse-dispatcher`, resyncIntervalMs: 2_000, artifactRoot: pathToFileURL(artifactDir).href, apiTokens: [] },
  });
  const evaluator = createEvaluatorApp({ bus, codec, catalog, artifacts, logger, metrics: metricsFor('evaluator'), groupId: `${prefix}roundhouse-evaluator` });

  // ---- a narrator following every platform topic ----------------------------
  const metricsServer =
    options.metricsPort === undefined ? undefined : await startProbeServer({ registry: runtime.metrics.registry, readiness: runtime.readiness, host: runtime.config.metrics.host, port: options.metricsPort });
  const summary: DemoSummary = {
    requests: [],
    runs: new Map(),
    results: [],
    evaluations: [],
    promotions: [],
    artifactDir,
    transport: embedded ? 'in-memory bus' : `Kafka ${runtime.config.kafka!.brokers.join(',')}`,
    driftAt: options.driftAt,
    streamStart,
    metrics: runtime.metrics.registry,
    ...(metricsServer ? { metricsUrl: `${metricsServer.url}/metrics` } : {}),
    closeMetrics: async () => metricsServer?.close(),
  };
  let published = 0;
  const narratorGroup = `${prefix}roundhouse-demo-narrator`;
  const topicEvents = new Map<string, 'RetrainRequested' | 'TrainingRun' | 'TrainingCompleted' | 'ModelEvaluated' | 'ModelReady'>([
    [codec.topics.retrainRequests, 'RetrainRequested'],
    [codec.topics.trainingRuns, 'TrainingRun'],
    [codec.topics.trainingResults, 'TrainingCompleted'],
    [codec.topics.evaluations, 'ModelEvaluated'],
    [codec.topics.modelReady, 'ModelReady'],
  ]);
  const narrator = await bus.subscribe({
    groupId: narratorGroup,
    topics: [...topicEvents.keys()],
    onBatch: createBatchProcessor({
      name: 'narrator',
      groupId: narratorGroup,
      prepare: (messages) => codec.avro.prepare(messages.map((m) => m.value)),
      decode: (m) => ({ name: topicEvents.get(m.topic)!, value: codec.decode(topicEvents.get(m.topic)!, m.value) }),
      handle: async (records) => {
        for (const { value } of records) narrate(value.name, value.value);
      },
    }),
  });
  function narrate(name: string, event: unknown): void {
    if (name === 'RetrainRequested') {
      const r = event as RetrainRequested;
      summary.requests.push(r);
      const drifted = r.drift?.features.filter((f) => f.drifted).map((f) => `${f.feature} (${f.test.toLowerCase()} ${f.statistic.toFixed(3)})`) ?? [];
      const why =
        r.reason === 'DRIFT'
          ? `drift in ${drifted.length ? drifted.join(', ') : 'the score'}${r.drift?.bootstrapReference ? ' vs the bootstrap reference' : ''}, window ending at event ~${eventIndexAt(r.drift!.windowEnd, streamStart).toLocaleString('en-US')}`
          : r.reason === 'VOLUME'
            ? `${r.volume!.newMaturedLabels.toLocaleString('en-US')} new matured labels`
            : r.reason.toLowerCase();
      say(`→ trigger: retraining requested (${r.reason}): ${why}`);
    } else if (name === 'TrainingRun') {
      const run = event as TrainingRun;
      summary.runs.set(run.runId, run);
      if (run.state === 'SUBMITTED' || run.state === 'SUCCEEDED' || run.state === 'FAILED') say(`→ dispatcher: run ${run.runId.slice(0, 18)}… ${run.state}${run.failure ? ` (${run.failure.code}: ${run.failure.message})` : ''}`);
    } else if (name === 'TrainingCompleted') {
      const result = event as TrainingCompleted;
      summary.results.push(result);
      say(`→ trainer: ${result.status} on ${result.rows.toLocaleString('en-US')} rows (${result.positives} frauds); holdout ${metricsLine(result.metrics)}`);
    } else if (name === 'ModelEvaluated') {
      const evaluation = event as ModelEvaluated;
      summary.evaluations.push(evaluation);
      const failed = evaluation.gates.filter((g) => !g.passed).map((g) => g.gate);
      say(`→ evaluator: ${evaluation.decision} (${evaluation.mode.toLowerCase()}${evaluation.championVersion ? ` against champion v${evaluation.championVersion}` : ', no champion yet'})${failed.length ? `; failed gates: ${failed.join(', ')}` : ''}`);
    } else if (name === 'ModelReady') {
      const ready = event as ModelReady;
      summary.promotions.push(ready);
      say(`→ model-ready: ${ready.modelId} v${ready.version} is the champion; the trigger now judges drift against its training profile`);
    }
  }

  // ---- the stream ------------------------------------------------------------
  const stream = demoCardStream(streamStart, options.driftAt);
  const cardWriter = await codec.avro.writer<CardTransaction>(`${model.data.featureTopic}-value`, CARD_SCHEMA);
  const labelWriter = await codec.avro.writer<Chargeback>(`${model.data.labelTopic}-value`, CHARGEBACK_SCHEMA);

  await trigger.start();
  await dispatcher.start();
  await evaluator.start();
  if (summary.metricsUrl) say(`  metrics: ${summary.metricsUrl}`);
  say(`Roundhouse demo on the ${summary.transport}: ${options.events.toLocaleString('en-US')} card transactions (~1% fraud), drift injected at event ${options.driftAt.toLocaleString('en-US')}`);
  say(`  model ${MODEL}: ${model.data.features.length} features, count windows of ${model.triggers.drift.window.type === 'count' ? model.triggers.drift.window.size : '?'} events, first model after ${model.triggers.volume.minNewLabels.toLocaleString('en-US')} matured labels; artifacts in ${artifactDir}`);

  const counters = (): string => {
    const states = [...summary.runs.values()].reduce<Record<string, number>>((acc, r) => ((acc[r.state] = (acc[r.state] ?? 0) + 1), acc), {});
    const champion = summary.promotions[summary.promotions.length - 1];
    return `requests ${summary.requests.length} | runs ${Object.entries(states).map(([s, n]) => `${s.toLowerCase()} ${n}`).join(' ') || 0} | champion ${champion ? `v${champion.version}` : 'none'}`;
  };
  // ---- the stream, in lockstep with the loop ---------------------------------
  // One chunk is published, then the demo waits until the whole loop is quiet:
  // every consumer group has committed the end of its topics, every request has
  // a run, every run has ended, every successful run has been judged and the
  // trigger judges against the latest champion. What each service sees at each
  // step is then a function of the data alone, so the same seed tells the same
  // story on a fast machine, on one core or under load (issue 10: a free-running
  // stream let CPU speed decide which run was judged against which champion).
  const groups: ConsumerGroupTopics[] = [
    ...trigger.consumerGroups(),
    ...dispatcher.consumerGroups(),
    ...evaluator.consumerGroups(),
    { groupId: narratorGroup, topics: [...topicEvents.keys()] },
  ];
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const settle = async (): Promise<void> => {
    for (let quiet = 0; quiet < 2; ) {
      if (Date.now() > deadline) throw new Error(`the loop did not settle within the demo's deadline (${counters()}); ${stuckOn() ?? 'consumers still behind'}`);
      await sleep(quiet === 0 ? 10 : 25);
      quiet = stuckOn() === undefined && (await groupsCaughtUp(bus, groups)) ? quiet + 1 : 0;
    }
  };
  /** What the loop is still doing, or undefined when nothing is in flight. */
  const stuckOn = (): string | undefined => {
    const runs = [...summary.runs.values()];
    const unrun = summary.requests.find((r) => !runs.some((run) => run.requestId === r.requestId));
    if (unrun) return `request ${unrun.requestId} has no run yet`;
    const active = runs.find((r) => !isTerminal(r.state));
    if (active) return `run ${active.runId} is ${active.state}`;
    const unjudged = runs.find((r) => r.state === 'SUCCEEDED' && !summary.evaluations.some((e) => e.runId === r.runId));
    if (unjudged) return `run ${unjudged.runId} is not evaluated yet`;
    const champion = summary.promotions[summary.promotions.length - 1];
    if (champion && trigger.championVersions().get(MODEL) !== champion.version) return `the trigger has not adopted v${champion.version} yet`;
    return undefined;
  };

  const pendingLabels: Chargeback[] = [];
  const chunk = 500;
  for (let i = 0; i < options.events; i += chunk) {
    const messages: OutboundMessage[] = [];
    let lastTime = 0;
    for (let j = i; j < Math.min(options.events, i + chunk); j++) {
      const event = stream.next();
      lastTime = event.transaction.event_time;
      messages.push({ topic: model.data.featureTopic, key: event.transaction.merchant_id, value: cardWriter.encode(event.transaction), timestamp: lastTime });
      if (event.label) pendingLabels.push(event.label);
      if (j === options.driftAt) say(`!! drift injected at event ${j.toLocaleString('en-US')}: amounts ×2.5, new country mix, card velocity ×2`);
    }
    pendingLabels.sort((a, b) => a.label_time - b.label_time);
    while (pendingLabels.length > 0 && pendingLabels[0]!.label_time <= lastTime) {
      const label = pendingLabels.shift()!;
      messages.push({ topic: model.data.labelTopic, key: label.event_id, value: labelWriter.encode(label), timestamp: label.label_time });
    }
    await bus.publish(messages);
    published = Math.min(options.events, i + chunk);
    await settle();
    progress.update(published, counters());
  }
  progress.done();

  await narrator.stop();
  await evaluator.stop();
  await dispatcher.stop();
  await trigger.stop();
  await runtime.shutdown.stop().catch(() => undefined);
  return summary;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));


export function printSummary(summary: DemoSummary, out: { write(s: string): boolean }): boolean {
  const line = (s = ''): boolean => out.write(`${s}\n`);
  line();
  line('Summary');
  line('=======');
  const drifts = summary.requests.filter((r) => r.reason === 'DRIFT');
  const runOf = (r: RetrainRequested) => [...summary.runs.values()].find((run) => run.requestId === r.requestId);
  const promotedRun = (r: RetrainRequested) => summary.promotions.some((p) => p.lineage.runId === runOf(r)?.runId);
  // Feature the drift whose retraining was promoted; else the latest one that was evaluated.
  const drift =
    drifts.find(promotedRun) ??
    [...drifts].reverse().find((r) => summary.evaluations.some((e) => e.runId === runOf(r)?.runId)) ??
    drifts[0];
  if (!drift) {
    line('No drift was detected before the stream ended (try more events: npm run demo -- --events 80000).');
    return false;
  }
  const drifted = drift.drift!.features.filter((f) => f.drifted);
  line(`Drift detected in the window [${new Date(drift.drift!.windowStart).toISOString()}, ${new Date(drift.drift!.windowEnd).toISOString()}) (event time)`);
  line(`  dataset rule: ${drift.drift!.datasetRule}; drifted share ${(drift.drift!.driftedShare * 100).toFixed(0)}%`);
  for (const f of drifted) line(`  - ${f.feature.padEnd(24)} ${f.test.padEnd(14)} statistic ${f.statistic.toFixed(4)}  ${f.pValue !== null ? `p ${f.pValue.toPrecision(3)}  ` : ''}threshold ${+f.threshold.toPrecision(3)}${f.weight !== null ? ` (budget share ${(100 * f.weight).toFixed(1)}%)` : ''}${f.critical ? '  (critical)' : ''}`);
  if (drift.drift!.scoreDrift?.drifted) line(`  - serving score ${drift.drift!.scoreDrift.feature}: ${drift.drift!.scoreDrift.test} ${drift.drift!.scoreDrift.statistic.toFixed(4)}`);
  const run = [...summary.runs.values()].find((r) => r.requestId === drift.requestId);
  const result = run ? summary.results.find((r) => r.runId === run.runId) : undefined;
  const evaluation = run ? summary.evaluations.find((e) => e.runId === run.runId) : undefined;
  line();
  line(`Retraining run ${run?.runId ?? '(none)'}: ${run?.state ?? 'not started'}${result ? ` on ${result.rows.toLocaleString('en-US')} rows, ${result.positives} frauds, artifact ${result.artifactUri}` : ''}`);
  if (evaluation) {
    line(`  champion  v${evaluation.championVersion ?? '-'}: ${metricsLine(evaluation.championMetrics)}`);
    line(`  candidate    : ${metricsLine(evaluation.candidateMetrics)}`);
    line(`  (both scored on the candidate's holdout: ${evaluation.mode})`);
    for (const gate of evaluation.gates) line(`  ${gate.passed ? 'pass' : 'FAIL'}  ${gate.gate.padEnd(26)} observed ${fmt(gate.observed, 4)}  threshold ${gate.threshold}`);
    line(`Decision: ${evaluation.decision}${summary.promotions.some((p) => p.lineage.runId === run!.runId) ? ` — promoted as v${summary.promotions.find((p) => p.lineage.runId === run!.runId)!.version}` : ''}`);
  }
  line();
  line('Timeline');
  for (const entry of timeline(summary)) line(`  ${entry}`);
  const rejections = explainRejections(summary);
  if (rejections.length > 0) {
    line();
    line('Why candidates were rejected');
    for (const why of rejections) line(`  ${why}`);
  }
  line(`Artifacts: ${summary.artifactDir}`);
  return evaluation !== undefined;
}

const runOfRequest = (summary: DemoSummary, request: RetrainRequested): TrainingRun | undefined => [...summary.runs.values()].find((run) => run.requestId === request.requestId);

/**
 * One line per request, in request order: reason, the data it trains on (as
 * stream event indices), the run's end state, the decision with every failed
 * gate's observed value, and the version it became. Only data-derived facts (no
 * run ids' wall-clock parts, no durations), so the same seed prints the same lines.
 */
export function timeline(summary: DemoSummary): string[] {
  return summary.requests.map((request) => {
    const run = runOfRequest(summary, request);
    const result = run ? summary.results.find((r) => r.runId === run.runId) : undefined;
    const evaluation = run ? summary.evaluations.find((e) => e.runId === run.runId) : undefined;
    const promotion = run ? summary.promotions.find((p) => p.lineage.runId === run.runId) : undefined;
    const data = `events ${eventIndexAt(request.window.startTime, summary.streamStart).toLocaleString('en-US')}–${eventIndexAt(request.window.endTime, summary.streamStart).toLocaleString('en-US')}`;
    const trained = result ? `, ${result.rows.toLocaleString('en-US')} rows / ${result.positives} frauds` : '';
    const failed = evaluation?.gates.filter((g) => !g.passed).map((g) => `${g.gate} ${fmt(g.observed, 3)} vs ${g.threshold}`) ?? [];
    const decision = evaluation ? `${evaluation.decision}${failed.length ? ` (${failed.join('; ')})` : ''}` : 'not evaluated';
    return `${request.reason.padEnd(7)} ${data}${trained} → run ${run?.state ?? '-'} → ${decision}${promotion ? ` → v${promotion.version}` : ''}`;
  });
}

/**
 * Why each rejected candidate was rejected, in terms of its data: a run asked
 * for by a drift trains on the window that ends where the drift was detected,
 * and the out-of-time holdout is the newest share of it — so the first
 * candidate after a change sees few post-change rows in training and is judged
 * on a holdout that is mostly post-change. The trigger keeps seeing the drift
 * against the champion after its cooldown and asks again, with more post-change
 * data in training.
 */
export function explainRejections(summary: DemoSummary): string[] {
  const lines: string[] = [];
  for (const request of summary.requests) {
    const run = runOfRequest(summary, request);
    const evaluation = run ? summary.evaluations.find((e) => e.runId === run.runId) : undefined;
    const result = run ? summary.results.find((r) => r.runId === run.runId) : undefined;
    if (!evaluation || evaluation.decision !== 'REJECT' || !result?.metrics) continue;
    const failed = evaluation.gates.filter((g) => !g.passed).map((g) => `${g.gate} (observed ${fmt(g.observed, 3)}, threshold ${g.threshold})`);
    const end = eventIndexAt(request.window.endTime, summary.streamStart);
    const postChange = Math.max(0, end - summary.driftAt);
    const holdoutRows = result.metrics.rows;
    const trainingPostChange = Math.max(0, postChange - holdoutRows);
    lines.push(`${request.reason} request over events up to ${end.toLocaleString('en-US')}: failed ${failed.join(', ')}.`);
    if (request.reason === 'DRIFT' && postChange > 0) {
      lines.push(
        `  Its window held ${postChange.toLocaleString('en-US')} events after the drift (at ${summary.driftAt.toLocaleString('en-US')}); the holdout is the newest ${holdoutRows.toLocaleString('en-US')} rows, ` +
          (trainingPostChange === 0
            ? 'so every post-drift event fell in the holdout and training saw none: the candidate is another pre-drift model, '
            : `so training saw only ~${trainingPostChange.toLocaleString('en-US')} post-drift events: the candidate is still mostly a pre-drift model, `) +
          'scoring drifted transactions with pre-drift odds — miscalibrated on the data it would serve, which the gate rightly keeps out of production.',
      );
    }
  }
  const promotedDrift = summary.requests.find((r) => r.reason === 'DRIFT' && summary.promotions.some((p) => p.lineage.runId === runOfRequest(summary, r)?.runId));
  if (lines.length > 0 && promotedDrift) {
    const end = eventIndexAt(promotedDrift.window.endTime, summary.streamStart);
    lines.push(`The trigger still saw the drift against the champion after its cooldown and asked again over events up to ${end.toLocaleString('en-US')} (${Math.max(0, end - summary.driftAt).toLocaleString('en-US')} after the drift): that candidate was promoted.`);
  }
  return lines;
}
