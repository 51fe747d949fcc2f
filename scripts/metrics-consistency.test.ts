/**
 * Every roundhouse_* metric the Grafana dashboard and the Prometheus alert
 * rules query must be exported by the service its name belongs to, with the
 * labels the queries select and group by. The registries are the services'
 * own: each app is built the way its main.ts builds it (createServiceMetrics
 * with Node.js default metrics, createXApp on in-memory fakes) and started,
 * because the consumer metrics of lib/bus/processor.ts only exist once an app
 * subscribes. A dashboard that queries a metric nobody exports fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MemoryArtifactStore } from '../lib/artifacts';
import { MemoryEventBus } from '../lib/bus';
import { loadCatalog } from '../lib/catalog';
import { ManualClock } from '../lib/clock';
import { AvroCodec, MemorySchemaRegistry, createPlatformCodec } from '../lib/codec';
import { silentLogger } from '../lib/log';
import { Readiness, createServiceMetrics, type ServiceMetrics } from '../lib/metrics';
import { createDispatcherApp, DEFAULT_DISPATCHER_CONFIG } from '../services/dispatcher/app';
import { busRunLog } from '../services/dispatcher/engine/run-log';
import { RecordingExecutor } from '../services/dispatcher/executors/fake';
import { createEvaluatorApp } from '../services/evaluator/app';
import { createTriggerApp } from '../services/trigger/app';

const ROOT = path.resolve(__dirname, '..');
const DASHBOARD = path.join(ROOT, 'deploy', 'grafana', 'dashboards', 'roundhouse.json');
const RULES = path.join(ROOT, 'deploy', 'prometheus', 'rules', 'roundhouse.rules.yml');

interface ExportedMetric {
  readonly name: string;
  readonly type: string;
  readonly labelNames: readonly string[];
}

interface Query {
  /** Where the expression comes from, for the failure message. */
  readonly source: string;
  readonly expr: string;
}

const METRIC = /(?<![A-Za-z0-9_:])roundhouse_[a-z0-9_]+/g;
const HAS_METRIC = new RegExp(METRIC.source);
/** Labels every scraped series has besides its own (Prometheus target labels). */
const TARGET_LABELS = new Set(['job', 'instance']);
const SERIES_SUFFIXES: Readonly<Record<string, readonly string[]>> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

/** Every string anywhere in the dashboard: panel targets, variable queries, definitions. */
function dashboardQueries(dashboard: unknown, at = 'dashboard'): Query[] {
  if (typeof dashboard === 'string') return HAS_METRIC.test(dashboard) ? [{ source: at, expr: dashboard }] : [];
  if (Array.isArray(dashboard)) return dashboard.flatMap((item, i) => dashboardQueries(item, `${at}[${i}]`));
  if (typeof dashboard === 'object' && dashboard !== null) {
    const title = (dashboard as { title?: unknown }).title;
    const here = typeof title === 'string' ? `${at} "${title}"` : at;
    return Object.entries(dashboard).flatMap(([key, value]) => dashboardQueries(value, `${here}.${key}`));
  }
  return [];
}

function ruleQueries(rules: unknown): Query[] {
  const groups = (rules as { groups?: { name: string; rules?: { alert?: string; record?: string; expr: unknown }[] }[] }).groups ?? [];
  return groups.flatMap((group) => (group.rules ?? []).map((rule) => ({ source: `rules ${group.name}/${rule.alert ?? rule.record ?? '?'}`, expr: String(rule.expr) })));
}

/** The series name as exported: a histogram's _bucket/_sum/_count resolve to the histogram. */
function resolve(series: string, exported: ReadonlyMap<string, ExportedMetric>): { metric: ExportedMetric; suffix: string } | undefined {
  const exact = exported.get(series);
  if (exact && !SERIES_SUFFIXES[exact.type]) return { metric: exact, suffix: '' };
  for (const [type, suffixes] of Object.entries(SERIES_SUFFIXES)) {
    for (const suffix of suffixes) {
      if (!series.endsWith(suffix)) continue;
      const base = exported.get(series.slice(0, -suffix.length));
      if (base?.type === type) return { metric: base, suffix };
    }
  }
  return undefined;
}

/**
 * Problems, one line each: a roundhouse_* series nobody exports; a label
 * matcher (`{label=…}`) or a `by (…)` grouping naming a label the metric does
 * not have (the grouping is checked against the first metric after it, which is
 * how these expressions are written).
 */
function consistencyProblems(queries: readonly Query[], exported: ReadonlyMap<string, ExportedMetric>): string[] {
  const problems: string[] = [];
  for (const { source, expr } of queries) {
    const labelsOf = (series: string): Set<string> | undefined => {
      const found = resolve(series, exported);
      if (!found) return undefined;
      return new Set([...found.metric.labelNames, ...TARGET_LABELS, ...(found.suffix === '_bucket' ? ['le'] : [])]);
    };
    for (const match of expr.matchAll(METRIC)) {
      const series = match[0];
      const labels = labelsOf(series);
      if (!labels) {
        problems.push(`${source}: ${series} is not exported by any service`);
        continue;
      }
      const selector = /^\{([^}]*)\}/.exec(expr.slice(match.index + series.length));
      for (const matcher of selector?.[1]?.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g) ?? []) {
        if (!labels.has(matcher[1]!)) problems.push(`${source}: ${series} has no label ${matcher[1]}`);
      }
    }
    for (const grouping of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
      const next = HAS_METRIC.exec(expr.slice(grouping.index + grouping[0].length));
      const labels = next ? labelsOf(next[0]) : undefined;
      if (!next || !labels) continue;
      for (const label of grouping[1]!.split(',').map((l) => l.trim()).filter(Boolean)) {
        if (!labels.has(label)) problems.push(`${source}: by (${label}) but ${next[0]} has no label ${label}`);
      }
    }
  }
  return problems;
}

async function exportedBy(metrics: ServiceMetrics): Promise<ExportedMetric[]> {
  const json = await metrics.registry.getMetricsAsJSON();
  return json.map((m) => ({
    name: m.name,
    type: String(m.type),
    labelNames: [...(((metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }) ?? {}).labelNames ?? [])],
  }));
}

/** The three long-running services, built as their main.ts builds them, started and stopped. */
async function serviceRegistries(): Promise<Map<string, ExportedMetric[]>> {
  const catalog = loadCatalog(path.join(ROOT, 'config', 'catalog.yaml'));
  const bus = new MemoryEventBus();
  const registry = new MemorySchemaRegistry();
  const codec = await createPlatformCodec(new AvroCodec(registry));
  const logger = silentLogger();
  // The trigger refuses to start without its input topics (it reads their partition counts).
  await bus.ensureTopics([...new Set(catalog.models.flatMap((m) => [m.data.featureTopic, m.data.labelTopic]))].map((name) => ({ name })));
  const registries = new Map<string, ExportedMetric[]>();

  const trigger = createServiceMetrics('trigger', { defaultMetrics: true });
  const triggerApp = createTriggerApp({ bus, codec, catalog, logger, metrics: trigger, readiness: new Readiness(), instanceId: 'consistency-0', groupId: 'roundhouse-trigger' });
  const dispatcher = createServiceMetrics('dispatcher', { defaultMetrics: true });
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const dispatcherApp = createDispatcherApp({
    bus,
    codec,
    catalog,
    executor: new RecordingExecutor(),
    runLog: busRunLog(bus, { groupPrefix: 'consistency-rebuild', clock, logger }),
    clock,
    logger,
    metrics: dispatcher,
    readiness: new Readiness(),
    config: { ...DEFAULT_DISPATCHER_CONFIG, artifactRoot: 'file:///tmp/artifacts', apiTokens: [] },
  });
  const evaluator = createServiceMetrics('evaluator', { defaultMetrics: true });
  const evaluatorApp = createEvaluatorApp({ bus, codec, catalog, artifacts: new MemoryArtifactStore(), logger, metrics: evaluator, readiness: new Readiness(), catchUpTimeoutMs: 2_000 });

  const apps = [triggerApp, dispatcherApp, evaluatorApp];
  try {
    for (const app of apps) await app.start();
    registries.set('trigger', await exportedBy(trigger));
    registries.set('dispatcher', await exportedBy(dispatcher));
    registries.set('evaluator', await exportedBy(evaluator));
  } finally {
    for (const app of apps) await app.stop().catch(() => undefined);
    await bus.close();
  }
  return registries;
}

describe('dashboard and alert rules query only metrics the services export', () => {
  let exported: Map<string, ExportedMetric>;
  let byService: Map<string, ExportedMetric[]>;

  beforeAll(async () => {
    byService = await serviceRegistries();
    exported = new Map([...byService.values()].flat().map((m) => [m.name, m]));
  }, 60_000);

  it('each service exports its own roundhouse_<service>_* metrics, consumer metrics included', () => {
    for (const [service, metrics] of byService) {
      expect(metrics.length).toBeGreaterThan(0);
      for (const m of metrics) expect(m.name.startsWith(`roundhouse_${service}_`)).toBe(true);
    }
    // lib/bus/processor.ts metrics exist only once a consumer runs: proof the apps really started.
    expect(exported.has('roundhouse_dispatcher_consumer_dead_letters_total')).toBe(true);
    expect(exported.has('roundhouse_evaluator_consumer_lag_messages')).toBe(true);
    expect(exported.get('roundhouse_dispatcher_run_duration_seconds')?.type).toBe('histogram');
  });

  it('the dashboard', () => {
    const queries = dashboardQueries(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
    expect(queries.length).toBeGreaterThan(20);
    expect(consistencyProblems(queries, exported)).toEqual([]);
  });

  it('the alert rules', () => {
    const queries = ruleQueries(parseYaml(readFileSync(RULES, 'utf8')));
    expect(queries.length).toBeGreaterThanOrEqual(5);
    expect(consistencyProblems(queries, exported)).toEqual([]);
  });

  it('catches a metric nobody exports, a wrong label and a histogram suffix on a counter', () => {
    const dashboard = {
      panels: [
        { title: 'typo', targets: [{ expr: 'sum(rate(roundhouse_trigger_event_consumed_total[5m]))' }] },
        { title: 'wrong service', targets: [{ expr: 'roundhouse_evaluator_runs' }] },
        { title: 'label', targets: [{ expr: 'sum by (partition) (rate(roundhouse_trigger_events_consumed_total{tenant="a"}[5m]))' }] },
        { title: 'suffix', targets: [{ expr: 'roundhouse_trigger_windows_closed_total_bucket' }] },
        { title: 'fine', targets: [{ expr: 'histogram_quantile(0.9, sum by (le, model) (rate(roundhouse_dispatcher_run_duration_seconds_bucket{state="SUCCEEDED"}[1h])))' }] },
      ],
    };
    expect(consistencyProblems(dashboardQueries(dashboard), exported)).toEqual([
      'dashboard.panels[0] "typo".targets[0].expr: roundhouse_trigger_event_consumed_total is not exported by any service',
      'dashboard.panels[1] "wrong service".targets[0].expr: roundhouse_evaluator_runs is not exported by any service',
      'dashboard.panels[2] "label".targets[0].expr: roundhouse_trigger_events_consumed_total has no label tenant',
      'dashboard.panels[2] "label".targets[0].expr: by (partition) but roundhouse_trigger_events_consumed_total has no label partition',
      'dashboard.panels[3] "suffix".targets[0].expr: roundhouse_trigger_windows_closed_total_bucket is not exported by any service',
    ]);
  });
});
