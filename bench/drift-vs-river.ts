/**
 * Roundhouse's drift detection against River's detectors on the same seeded
 * streams (issue 12).
 *
 *   pip install --user -r bench/requirements-river.txt
 *   npx tsx bench/drift-vs-river.ts [--seeds 3] [--stationary-seeds 5] [--offset-seeds 3] [--window 2000] [--events 200000]
 *        [--only <family>] [--kswin-span 500] [--kswin-seeds 1] [--variants default,once,nobudget,slide,slide1,fast]
 *        [--standardise] [--python python3] [--keep] [--json out.json]
 *
 * Streams (bench/drift-streams.ts): 20 numeric + 1 categorical feature,
 * reference = the first quarter (50,000 of 200,000 events), change at the
 * half. Each drifting family over seeds 1..--seeds, the centred stationary
 * control over seeds 1..--stationary-seeds, the offset controls (mean 100,
 * mean 1e6) over seeds 1..--offset-seeds. Each stream
 * is written once under os.tmpdir() (float64 row-major) and read by both sides.
 *
 * Roundhouse's side is the trigger's pure core, wired as app.ts wires it and
 * as services/trigger/core/pipeline.test.ts does: a catalog document parsed by
 * lib/catalog's parseCatalog (drift settings left at their defaults except the
 * window: a count window of --window events), planGroups, the compiled record
 * plan, one IngestPartition (stage 1: per-slice sketches, sketch.ts) whose
 * partials go through their wire encoding to a GroupJudge (stage 2: slices
 * merged into count windows, driftEvidence, the consecutiveWindows
 * hysteresis, decide.ts). The champion's reference profile is built from the
 * reference rows by lib/model's buildReferenceProfile, the function the trainer
 * profiles its training rows with (lib/stats buildNumericReference /
 * buildCategoricalReference). Nothing of the judge's logic is copied here: a
 * change to the core shows up by re-running this file.
 *
 * So that a detector's every alarm counts (as River's do), the lifecycle
 * settings that are not drift settings are opened up: cooldown 0s, refire
 * backoff 1ms, volume off, maxAge null, label maturity 30d, and every run
 * "ends without a promotion" (JudgeContext.outcome → REJECTED) so the
 * champion — and its reference — stays and the DRIFT rule may fire again.
 * An alarm is a window whose decision fired the DRIFT rule (the judge's
 * verdict `why`), requested or held back; its position is the last event of
 * the window. Event times are spaced so that a count window is 10 slices of
 * the default resolution (the catalog's advice), and windows start at the
 * first monitored event, so with the default sizes the change falls on a
 * window boundary (the best case for a windowed judge: a change at a random
 * phase would add half a window of delay on average).
 *
 * --variants: `default` is the catalog's defaults (the false-alarm budget,
 * windowsPerFalseAlarm 1000, and consecutiveWindows 2); `once` the same with
 * consecutiveWindows 1 (a request on the first drifted window); `nobudget`
 * windowsPerFalseAlarm null (Evidently's fixed thresholds and the driftShare
 * 0.3 rule, the rule before the budget); `slide` and `slide1` judge the last
 * window every tenth of it (window.hop), with 2 and 1 consecutive windows,
 * and `fast` every twentieth, with 1 consecutive window and a budget of one
 * false alarm per 50 windows (per judgement 1/50 × 1/20 = 1/1000, i.e. at most
 * one false alarm per 100,000 events here, against ADWIN's ~15 measured);
 * sliding windows also run the recent-change scan (lib/stats scan.ts). Each
 * variant changes only those drift settings, for comparison. When a variant's
 * hop is shorter than a tenth of the window, the events are spaced so that a
 * slice holds one hop (a count window's hop closes on a slice boundary).
 *
 * River's side (bench/drift_river.py): ADWIN, KSWIN and PageHinkley with
 * River's defaults, one per numeric feature and one per category indicator,
 * "any feature fires" the stream-level alarm. KSWIN costs ~0.3 ms an update,
 * so it runs on the first --kswin-seeds seeds only, and on the --kswin-span
 * events either side of the change.
 *
 * Update cost: Roundhouse's is the sketch add loop alone (NumericSketch /
 * CategoricalCounts, one per feature per window, over the monitored events),
 * timed with process.cpuUsage, in ns per feature-update; the full stage-1
 * ingest (IngestPartition.addFeature: reading the record, slicing, sketching; and drain: encoding the closed slices' partials)
 * is reported next to it. River's is time.process_time around its update loop
 * over the number of updates.
 *
 * Prints progress to stderr; per-round rows, the aggregate per detector ×
 * family and a markdown table for BENCHMARKS.md to stdout.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as avro from 'avsc';
import { parseCatalog, sliceOf, type ModelSpec } from '../lib/catalog';
import { buildReferenceProfile, type Row } from '../lib/model';
import { compileFeaturePlan } from '../services/trigger/core/extract';
import { planGroups } from '../services/trigger/core/groups';
import { IngestPartition, groupFeaturePlan, type GroupFeaturePlan } from '../services/trigger/core/ingest';
import { GroupJudge, type Champion, type JudgeContext, type WindowVerdict } from '../services/trigger/core/judge';
import { decodePartial, encodePartial } from '../services/trigger/core/partials';
import { CategoricalCounts, NumericSketch } from '../services/trigger/core/sketch';
import {
  CATEGORIES,
  CATEGORICAL_NAME,
  COLUMNS,
  DRIFTING_FAMILIES,
  FAMILIES,
  NUMERIC_NAMES,
  STATIONARY_FAMILIES,
  generateStream,
  writeStreamFile,
  type Family,
  type Stream,
} from './drift-streams';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '3' },
    'stationary-seeds': { type: 'string', default: '5' },
    'offset-seeds': { type: 'string', default: '3' },
    window: { type: 'string', default: '2000' },
    events: { type: 'string', default: '200000' },
    only: { type: 'string', multiple: true },
    'kswin-span': { type: 'string', default: '500' },
    'kswin-seeds': { type: 'string', default: '1' },
    variants: { type: 'string', default: 'default,once,nobudget,slide,slide1,fast' },
    detectors: { type: 'string', default: 'adwin,kswin,pagehinkley' },
    standardise: { type: 'boolean', default: false },
    python: { type: 'string', default: 'python3' },
    keep: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const SEEDS = Number(args.seeds);
const STATIONARY_SEEDS = Number(args['stationary-seeds']);
const OFFSET_SEEDS = Number(args['offset-seeds']);
const WINDOW = Number(args.window);
const EVENTS = Number(args.events);
const KSWIN_SPAN = Number(args['kswin-span']);
const KSWIN_SEEDS = Number(args['kswin-seeds']);
const VARIANTS = args.variants.split(',').filter(Boolean);
const RIVER_DETECTORS = args.detectors.split(',').filter(Boolean);
const START = Date.UTC(2026, 0, 1);
const FEATURE_COUNT = COLUMNS.length;

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
const cpuMicros = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return d.user + d.system;
};

// ---------------------------------------------------------------- catalog

const VARIANT_DRIFT: Record<string, string> = {
  default: '',
  once: '\n        consecutiveWindows: 1',
  nobudget: '\n        windowsPerFalseAlarm: null',
  slide: '',
  slide1: '\n        consecutiveWindows: 1',
  fast: '\n        consecutiveWindows: 1\n        windowsPerFalseAlarm: 50',
};
/** Variants judged on a sliding window: the window's hop (a tenth of it). */
const VARIANT_HOP: Record<string, number> = { slide: Math.max(1, Math.round(WINDOW / 10)), slide1: Math.max(1, Math.round(WINDOW / 10)), fast: Math.max(1, Math.round(WINDOW / 20)) };
const VARIANT_LABEL: Record<string, string> = {
  default: 'defaults: budget 1/1000, 2 windows',
  once: 'budget 1/1000, 1 window',
  nobudget: 'no budget: fixed thresholds, driftShare 0.3',
  slide: `budget 1/1000, sliding hop ${Math.max(1, Math.round(WINDOW / 10))}, 2 windows`,
  slide1: `budget 1/1000, sliding hop ${Math.max(1, Math.round(WINDOW / 10))}, 1 window`,
  fast: `budget 1/50, sliding hop ${Math.max(1, Math.round(WINDOW / 20))}, 1 window`,
};

function catalogYaml(): string {
  const features = [...NUMERIC_NAMES.map((n) => `        - { name: ${n}, type: numeric }`), `        - { name: ${CATEGORICAL_NAME}, type: categorical }`].join('\n');
  const models = VARIANTS.map((variant) => {
    if (!(variant in VARIANT_DRIFT)) throw new Error(`unknown variant ${variant} (${Object.keys(VARIANT_DRIFT).join(', ')})`);
    return `  - id: rh-${variant}
    data:
      featureTopic: features
      labelTopic: labels
      eventIdField: event_id
      eventTimeField: event_time
      labelTimeField: label_time
      labelField: is_fraud
      labelMaturity: 30d
      features:
${features}
    triggers:
      drift:
        window: { type: count, size: ${WINDOW}${VARIANT_HOP[variant] ? `, hop: ${VARIANT_HOP[variant]}` : ''} }${VARIANT_DRIFT[variant]}
      volume: { enabled: false }
      maxAge: null
      cooldown: 0s
      refire: { backoff: 1ms, maxBackoff: 1ms }
    training:
      lookback: 60d`;
  });
  return `version: 1\nmodels:\n${models.join('\n')}\n`;
}

const MODELS: readonly ModelSpec[] = parseCatalog(catalogYaml(), 'drift-vs-river.yaml').models;
const GROUPS = planGroups(MODELS);
if (GROUPS.length !== 1) throw new Error(`expected the variants to share one trigger group, got ${GROUPS.length}`);
const GROUP = GROUPS[0]!;
const WINDOW_SPEC = MODELS[0]!.triggers.drift.window;
const { sliceMs: SLICE_MS } = sliceOf(WINDOW_SPEC);
/** Event spacing: a count window of WINDOW events spans 10 slices, or more when a variant's hop is shorter (a hop closes on a slice boundary). */
const EVENTS_PER_SLICE = Math.min(WINDOW / 10, ...VARIANTS.map((v) => VARIANT_HOP[v] ?? Infinity));
const eventTime = (i: number): number => START + Math.floor((i * SLICE_MS) / EVENTS_PER_SLICE);
/** The last event whose time is before `end` (a window's end is exclusive). */
function lastEventBefore(end: number): number {
  let lo = 0;
  let hi = EVENTS;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (eventTime(mid) < end) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

const AVRO_TYPE = avro.Type.forSchema({
  type: 'record',
  name: 'DriftBenchEvent',
  namespace: 'dev.roundhouse.bench',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ...NUMERIC_NAMES.map((name) => ({ name, type: 'double' })),
    { name: CATEGORICAL_NAME, type: 'string' },
  ],
} as avro.Schema);

const PLANS = new Map<string, GroupFeaturePlan>();
{
  const plan = groupFeaturePlan(GROUP, new Map(GROUP.models.map((m) => [m.id, compileFeaturePlan(m, AVRO_TYPE)])));
  if (!plan) throw new Error('no model of the group can read the bench schema');
  PLANS.set(GROUP.id, plan);
}

// ---------------------------------------------------------------- results

interface Alarm {
  /** Event index (in the whole stream) at which the alarm was raised. */
  readonly event: number;
  /** The features it named (River: those whose detector fired at this event). */
  readonly features: readonly string[];
}

interface Round {
  readonly detector: string;
  readonly family: Family;
  readonly seed: number;
  readonly changed: readonly string[];
  /** Events [from, to) the detector saw. */
  readonly span: readonly [number, number];
  readonly changeAt: number;
  readonly alarms: readonly Alarm[];
  readonly nsPerUpdate: number | null;
  /** Roundhouse only: the full stage-1 ingest per feature-update, and window-level counts before the change. */
  readonly ingestNsPerUpdate?: number;
  readonly windowsBefore?: number;
  readonly driftedWindowsBefore?: number;
  /** Roundhouse only: the features most often named drifted in windows before the change (name × windows). */
  readonly driftedBefore?: readonly [string, number][];
}

interface Evaluated {
  readonly round: Round;
  readonly stationary: boolean;
  readonly falseAlarms: number;
  /** Events the false alarms were counted over (before the change; all of them on a stationary stream). */
  readonly quietEvents: number;
  readonly detection: Alarm | null;
  readonly delay: number | null;
  /** The detection named at least one feature that changed. */
  readonly namedChanged: boolean;
  /** Features named at the detection that did not change. */
  readonly collateral: readonly string[];
}

function evaluate(round: Round): Evaluated {
  const stationary = round.changed.length === 0;
  const [from, to] = round.span;
  const before = round.alarms.filter((a) => stationary || a.event < round.changeAt);
  const quietEvents = stationary ? to - from : Math.max(0, Math.min(to, round.changeAt) - from);
  const detection = stationary ? null : (round.alarms.find((a) => a.event >= round.changeAt) ?? null);
  return {
    round,
    stationary,
    falseAlarms: before.length,
    quietEvents,
    detection,
    delay: detection ? detection.event - round.changeAt : null,
    namedChanged: detection !== null && detection.features.some((f) => round.changed.includes(f.split('=')[0]!)),
    collateral: detection ? detection.features.filter((f) => !round.changed.includes(f.split('=')[0]!)) : [],
  };
}

// ---------------------------------------------------------------- Roundhouse

function rowOf(stream: Stream, i: number): Row {
  const base = i * FEATURE_COUNT;
  const row: Record<string, unknown> = { event_id: String(i), event_time: eventTime(i) };
  for (let j = 0; j < NUMERIC_NAMES.length; j++) row[NUMERIC_NAMES[j]!] = stream.data[base + j];
  row[CATEGORICAL_NAME] = CATEGORIES[stream.data[base + NUMERIC_NAMES.length]!];
  return row;
}

/** The sketch add loop alone, one sketch per feature per window, over the monitored events: ns per feature-update. */
function sketchCost(stream: Stream): number {
  const data = stream.data;
  const numeric = NUMERIC_NAMES.length;
  let sink = 0;
  const t0 = process.cpuUsage();
  for (let start = stream.reference; start < stream.events; start += WINDOW) {
    const sketches = Array.from({ length: numeric }, () => new NumericSketch());
    const categorical = new CategoricalCounts();
    const end = Math.min(stream.events, start + WINDOW);
    for (let i = start; i < end; i++) {
      const base = i * FEATURE_COUNT;
      for (let j = 0; j < numeric; j++) sketches[j]!.add(data[base + j]!);
      categorical.add(CATEGORIES[data[base + numeric]!]!);
    }
    sink += categorical.count;
  }
  const micros = cpuMicros(t0);
  if (sink !== stream.events - stream.reference) throw new Error('sketch loop lost events');
  return (micros * 1000) / ((stream.events - stream.reference) * FEATURE_COUNT);
}

function runRoundhouse(stream: Stream): Round[] {
  const referenceRows: Row[] = [];
  for (let i = 0; i < stream.reference; i++) referenceRows.push(rowOf(stream, i));
  const profile = buildReferenceProfile(referenceRows, null, { features: MODELS[0]!.data.features, scoreField: null });
  const champion: Champion = { version: 1, promotedAt: eventTime(stream.reference), profile, dataWindowEnd: eventTime(stream.reference), metrics: null };
  const context: JudgeContext = { champion: () => champion, inFlight: () => false, outcome: () => 'REJECTED' };

  const ingest = new IngestPartition({ topic: 'features', partition: 0, partitions: 1, groups: GROUPS });
  const judge = new GroupJudge(GROUP, 0);
  const verdicts: WindowVerdict[] = [];
  let driftRequests = 0;
  const deliver = (drained: ReturnType<IngestPartition['drain']>): void => {
    for (const { partial } of drained) {
      const decoded = decodePartial(encodePartial(partial));
      if (decoded.kind !== 'features') continue;
      const out = judge.addFeatures(decoded, context);
      verdicts.push(...out.verdicts);
      driftRequests += out.requests.filter((r) => r.reason === 'DRIFT').length;
    }
  };
  let ingestMicros = 0;
  const batch: Row[] = [];
  for (let from = stream.reference; from < stream.events; from += EVENTS_PER_SLICE) {
    const to = Math.min(stream.events, from + EVENTS_PER_SLICE);
    batch.length = 0;
    for (let i = from; i < to; i++) batch.push(rowOf(stream, i));
    const t0 = process.cpuUsage();
    for (let k = 0; k < batch.length; k++) ingest.addFeature(batch[k]!, null, String(from + k), PLANS, batch[k]!.event_time as number);
    // The drain encodes the closed slices' sketches (the digest compresses there): part of stage 1's cost.
    const drained = ingest.drain(false);
    ingestMicros += cpuMicros(t0);
    deliver(drained);
  }
  const t1 = process.cpuUsage();
  const last = ingest.drain(true);
  ingestMicros += cpuMicros(t1);
  deliver(last);

  const monitored = stream.events - stream.reference;
  const nsPerUpdate = sketchCost(stream);
  const ingestNs = (ingestMicros * 1000) / (monitored * FEATURE_COUNT);
  let fired = 0;
  const rounds = MODELS.map((model): Round => {
    const mine = verdicts.filter((v) => v.modelId === model.id);
    const alarms: Alarm[] = [];
    let windowsBefore = 0;
    let driftedWindowsBefore = 0;
    const named = new Map<string, number>();
    for (const v of mine) {
      const last = lastEventBefore(v.window.end);
      const drifted = v.statistics.filter((s) => s.drifted).map((s) => s.feature);
      if (stream.changed.length === 0 || last < stream.changeAt) {
        windowsBefore++;
        if (v.drifted === true) driftedWindowsBefore++;
        for (const f of drifted) named.set(f, (named.get(f) ?? 0) + 1);
      }
      // decide.ts: the DRIFT rule fired (held for consecutiveWindows windows), requested or held back.
      if (v.why.startsWith('DRIFT')) alarms.push({ event: last, features: drifted });
    }
    fired += alarms.length;
    return {
      detector: `Roundhouse (${VARIANT_LABEL[model.id.slice('rh-'.length)] ?? model.id}, W=${WINDOW})`,
      family: stream.family,
      seed: stream.seed,
      changed: stream.changed,
      span: [stream.reference, stream.events],
      changeAt: stream.changeAt,
      alarms,
      nsPerUpdate,
      ingestNsPerUpdate: ingestNs,
      windowsBefore,
      driftedWindowsBefore,
      driftedBefore: [...named].sort((a, b) => b[1] - a[1]).slice(0, 5),
    };
  });
  // The verdicts' `why` is decide.ts's one line; if its wording changed, the alarms above would silently vanish.
  if (driftRequests > 0 && fired < driftRequests) throw new Error(`the judge made ${driftRequests} DRIFT requests but only ${fired} verdicts read as DRIFT firings: has decide.ts's "why" changed?`);
  return rounds;
}

// ---------------------------------------------------------------- River

interface RiverOutput {
  readonly river: string;
  readonly numpy: string;
  readonly python: string;
  readonly detectors: { detector: string; span: [number, number]; alarms: Record<string, number[]>; updates: number; cpuSeconds: number; nsPerUpdate: number | null }[];
}

function runRiver(meta: string, seed: number): Promise<RiverOutput> {
  const detectors = RIVER_DETECTORS.filter((d) => d !== 'kswin' || seed <= KSWIN_SEEDS);
  const argv = [join(__dirname, 'drift_river.py'), meta, '--detectors', detectors.join(','), '--kswin-span', String(KSWIN_SPAN), ...(args.standardise ? ['--standardise'] : [])];
  return new Promise((resolve, reject) => {
    execFile(args.python, argv, { maxBuffer: 1 << 30 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${args.python} ${argv.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as RiverOutput);
    });
  });
}

function riverRounds(stream: Stream, output: RiverOutput): Round[] {
  return output.detectors.map((d) => {
    const byEvent = new Map<number, string[]>();
    for (const [feature, events] of Object.entries(d.alarms)) for (const e of events) byEvent.set(e, [...(byEvent.get(e) ?? []), feature]);
    const alarms = [...byEvent].sort((a, b) => a[0] - b[0]).map(([event, features]) => ({ event, features }));
    const partial = d.span[0] !== stream.reference || d.span[1] !== stream.events;
    return {
      detector: `River ${d.detector}${partial ? ` (±${KSWIN_SPAN} events)` : ''}${args.standardise ? ' (standardised)' : ''}`,
      family: stream.family,
      seed: stream.seed,
      changed: stream.changed,
      span: d.span,
      changeAt: stream.changeAt,
      alarms,
      nsPerUpdate: d.nsPerUpdate,
    };
  });
}

// ---------------------------------------------------------------- report

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number | null, digits = 0): string => (x === null ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

interface Aggregate {
  readonly detector: string;
  readonly family: Family;
  readonly rounds: number;
  readonly stationary: boolean;
  readonly detected: number;
  readonly namedChanged: number;
  readonly medianDelay: number | null;
  readonly minDelay: number | null;
  readonly maxDelay: number | null;
  readonly falseAlarms: number;
  readonly quietEvents: number;
  readonly perHundredK: number;
  readonly collateral: number;
  readonly nsPerUpdate: number | null;
  readonly ingestNsPerUpdate: number | null;
}

function aggregate(evaluated: readonly Evaluated[]): Aggregate[] {
  const keys = [...new Set(evaluated.map((e) => `${e.round.detector}\u0000${e.round.family}`))];
  return keys.map((key) => {
    const [detector, family] = key.split('\u0000') as [string, Family];
    const es = evaluated.filter((e) => e.round.detector === detector && e.round.family === family);
    const delays = es.flatMap((e) => (e.delay === null ? [] : [e.delay]));
    const falseAlarms = es.reduce((n, e) => n + e.falseAlarms, 0);
    const quietEvents = es.reduce((n, e) => n + e.quietEvents, 0);
    const ns = es.flatMap((e) => (e.round.nsPerUpdate === null ? [] : [e.round.nsPerUpdate]));
    const ingestNs = es.flatMap((e) => (e.round.ingestNsPerUpdate === undefined ? [] : [e.round.ingestNsPerUpdate]));
    return {
      detector,
      family,
      rounds: es.length,
      stationary: es[0]!.stationary,
      detected: es.filter((e) => e.detection !== null).length,
      namedChanged: es.filter((e) => e.namedChanged).length,
      medianDelay: median(delays),
      minDelay: delays.length ? Math.min(...delays) : null,
      maxDelay: delays.length ? Math.max(...delays) : null,
      falseAlarms,
      quietEvents,
      perHundredK: quietEvents > 0 ? (falseAlarms / quietEvents) * 1e5 : 0,
      collateral: es.reduce((n, e) => n + e.collateral.length, 0),
      nsPerUpdate: median(ns),
      ingestNsPerUpdate: median(ingestNs),
    };
  });
}

function markdown(aggregates: readonly Aggregate[]): string {
  const lines = [
    '| detector | stream family | detected | first alarm names a changed feature | median delay (events) [min–max] | false alarms in quiet events (per 100k) | collateral features at detection (sum over seeds) | CPU per feature-update |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const a of aggregates) {
    const cpu = a.nsPerUpdate === null ? '—' : `${fmt(a.nsPerUpdate)} ns${a.ingestNsPerUpdate !== null ? ` (ingest ${fmt(a.ingestNsPerUpdate)} ns)` : ''}`;
    lines.push(
      `| ${a.detector} | ${a.family} (${a.rounds} seed${a.rounds > 1 ? 's' : ''}) | ${a.stationary ? '—' : `${a.detected}/${a.rounds}`} | ${a.stationary ? '—' : `${a.namedChanged}/${a.rounds}`} | ${a.stationary ? '—' : `${fmt(a.medianDelay)} [${fmt(a.minDelay)}–${fmt(a.maxDelay)}]`} | ${a.falseAlarms} in ${fmt(a.quietEvents)} (${fmt(a.perHundredK, 1)}) | ${a.stationary ? '—' : a.collateral} | ${cpu} |`,
    );
  }
  return lines.join('\n');
}

function rawRow(e: Evaluated): string {
  const r = e.round;
  const det = e.stationary ? 'stationary' : e.detection ? `detected at ${e.detection.event} (+${e.delay}) naming ${e.detection.features.join(',')}` : 'missed';
  const windows = r.windowsBefore !== undefined ? ` | windows drifted before change ${r.driftedWindowsBefore}/${r.windowsBefore}${r.driftedBefore && r.driftedBefore.length ? ` (most named: ${r.driftedBefore.map(([f, n]) => `${f}×${n}`).join(' ')})` : ''}` : '';
  return `${r.detector} | ${r.family} s${r.seed} | span ${r.span[0]}–${r.span[1]} | ${det} | false alarms ${e.falseAlarms} in ${e.quietEvents} events | ${fmt(r.nsPerUpdate)} ns/update${windows}`;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const t0 = Date.now();
  const only = args.only ?? [];
  for (const f of only) if (!(FAMILIES as readonly string[]).includes(f)) throw new Error(`unknown family ${f} (${FAMILIES.join(', ')})`);
  const plan: [Family, number][] = [];
  for (const family of DRIFTING_FAMILIES) for (let s = 1; s <= SEEDS; s++) plan.push([family, s]);
  for (const family of STATIONARY_FAMILIES) for (let s = 1; s <= (family === 'stationary' ? STATIONARY_SEEDS : OFFSET_SEEDS); s++) plan.push([family, s]);
  const streams = plan.filter(([family]) => only.length === 0 || only.includes(family));
  const dir = join(tmpdir(), `roundhouse-drift-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  log(`${streams.length} streams of ${EVENTS} events × ${FEATURE_COUNT} features; window ${WINDOW}; files in ${dir}${args.keep ? ' (kept)' : ''}`);
  const rounds: Round[] = [];
  let versions: Omit<RiverOutput, 'detectors'> | null = null;
  try {
    for (const [family, seed] of streams) {
      const ts = Date.now();
      const stream = generateStream(family, seed, EVENTS);
      const file = writeStreamFile(stream, dir);
      // River runs in its own process while this one runs the trigger core on the same stream.
      const river = runRiver(file.meta, seed);
      river.catch(() => undefined);
      const tr = Date.now();
      const ours = runRoundhouse(stream);
      const roundhouseSeconds = (Date.now() - tr) / 1000;
      const theirs = await river;
      versions ??= { river: theirs.river, numpy: theirs.numpy, python: theirs.python };
      rounds.push(...ours, ...riverRounds(stream, theirs));
      if (!args.keep) rmSync(file.data, { force: true });
      const summary = [...ours, ...riverRounds(stream, theirs)].map((r) => {
        const e = evaluate(r);
        return `${r.detector.startsWith('Roundhouse') ? r.detector.replace(/, W=\d+\)$/, ')') : r.detector.split(' (')[0]}: ${e.stationary ? `${e.falseAlarms} alarms` : e.detection ? `+${e.delay}` : 'missed'}`;
      });
      log(`${family} s${seed}: ${((Date.now() - ts) / 1000).toFixed(1)} s (trigger core ${roundhouseSeconds.toFixed(1)} s) — ${summary.join('; ')}`);
    }
  } finally {
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
  const evaluated = rounds.map(evaluate);
  const aggregates = aggregate(evaluated).sort((a, b) => FAMILIES.indexOf(a.family) - FAMILIES.indexOf(b.family) || (a.detector < b.detector ? -1 : 1));
  const elapsed = (Date.now() - t0) / 1000;

  console.log('## per round');
  for (const e of evaluated) console.log(rawRow(e));
  console.log('\n## per detector × stream family');
  console.log(markdown(aggregates));
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}: ${streams.length} streams, ${EVENTS} events (reference ${EVENTS / 4}, change at ${EVENTS / 2}), window ${WINDOW}; ` +
      `Node ${process.version}; ${versions ? `River ${versions.river}, numpy ${versions.numpy}, Python ${versions.python}` : 'River not run'}; ` +
      `${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}; wall ${elapsed.toFixed(0)} s`,
  );
  if (args.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(args.json, `${JSON.stringify({ aggregates, rounds: evaluated.map((e) => ({ ...e, round: { ...e.round, alarms: e.round.alarms.length > 2000 ? e.round.alarms.slice(0, 2000) : e.round.alarms } })) }, null, 1)}\n`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
