/**
 * Every roundhouse_* metric the Grafana dashboard and the Prometheus alert
 * rules query must be exported by the service its name belongs to, with the
 * labels the queries select and group by. The registries are the services'
 * own, built and started as their main.ts does (scripts/testing/service-metrics.ts).
 * A dashboard that queries a metric nobody exports fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ServiceMetrics } from '../lib/metrics';
import { readServiceMetrics } from './testing/service-metrics';

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
/**
 * Labels every scraped series has besides its own (Prometheus target labels):
 * job and instance everywhere; namespace from the Prometheus Operator's
 * ServiceMonitors and the compose Prometheus's static labels (the install, which
 * the dashboard selects and the rules group by).
 */
const TARGET_LABELS = new Set(['job', 'instance', 'namespace']);
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

describe('dashboard and alert rules query only metrics the services export', () => {
  let exported: Map<string, ExportedMetric>;
  let byService: Map<string, ExportedMetric[]>;

  beforeAll(async () => {
    byService = await readServiceMetrics(exportedBy);
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
