/**
 * The Grafana dashboard shows one install at a time: two installs scraped by one
 * Prometheus must not be summed. So it has datasource, namespace and job
 * variables, and every selector of every query (panel targets and the other
 * variables' queries) is scoped by them. Every query also parses as PromQL
 * (promtool, with the variables filled in).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { findPromtool } from './tools/promtool';

const DASHBOARD = path.join(__dirname, '..', 'deploy', 'grafana', 'dashboards', 'roundhouse.json');

interface Target {
  readonly refId?: string;
  readonly expr?: string;
  readonly datasource?: { type?: string; uid?: string };
}
interface Panel {
  readonly id?: number;
  readonly type: string;
  readonly title?: string;
  readonly datasource?: { type?: string; uid?: string };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { query?: string };
  readonly definition?: string;
  readonly includeAll?: boolean;
  readonly multi?: boolean;
  readonly allValue?: string;
  readonly datasource?: { type?: string; uid?: string };
}
interface Dashboard {
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

const SCOPE = { namespace: 'namespace=~"$namespace"', job: 'job=~"$job"' } as const;
type Scope = keyof typeof SCOPE;

/**
 * What is not scoped in one PromQL expression: a `{…}` selector lacking one of
 * the `required` matchers, or a roundhouse_* series with no selector at all.
 * Every `{` in these expressions opens a selector (legend templates are not
 * queries and are not passed here).
 */
function unscoped(expr: string, required: readonly Scope[] = ['namespace', 'job']): string[] {
  const problems: string[] = [];
  for (const selector of expr.matchAll(/\{([^}]*)\}/g)) {
    const matchers = selector[1]!.split(',').map((m) => m.trim());
    for (const scope of required) if (!matchers.includes(SCOPE[scope])) problems.push(`${selector[0]} lacks ${SCOPE[scope]}`);
  }
  for (const bare of expr.matchAll(/(?<![A-Za-z0-9_:])(roundhouse_[a-z0-9_]+)(?![a-z0-9_{])/g)) problems.push(`${bare[1]} has no selector`);
  return problems;
}

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

const variableQuery = (v: Variable): string => (typeof v.query === 'string' ? v.query : (v.query?.query ?? ''));

describe('the dashboard separates installs', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));

  it('has datasource, namespace and job variables, in that order before the rest', () => {
    expect(dashboard.templating.list.slice(0, 3).map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['namespace', 'query'],
      ['job', 'query'],
    ]);
    expect(variables.get('datasource')!.query).toBe('prometheus');
    // One namespace at a time: selecting two would sum them again.
    const namespace = variables.get('namespace')!;
    expect([namespace.multi, namespace.includeAll]).toEqual([false, false]);
    expect(variableQuery(namespace)).toMatch(/^label_values\(up\{[^}]*\}, namespace\)$/);
    expect(namespace.definition).toBe(variableQuery(namespace));
    // The jobs of the chosen namespace, all by default.
    const job = variables.get('job')!;
    expect([job.multi, job.includeAll, job.allValue]).toEqual([true, true, '.*']);
    expect(variableQuery(job)).toMatch(/^label_values\(up\{[^}]*\}, job\)$/);
    expect(unscoped(variableQuery(job), ['namespace'])).toEqual([]);
    expect(job.definition).toBe(variableQuery(job));
  });

  it('every other variable query is scoped by namespace and job', () => {
    const others = dashboard.templating.list.filter((v) => v.type === 'query' && v.name !== 'namespace' && v.name !== 'job');
    expect(others.map((v) => v.name)).toEqual(['model']);
    for (const v of others) {
      expect([v.name, unscoped(variableQuery(v))]).toEqual([v.name, []]);
      expect([v.name, unscoped(v.definition ?? '')]).toEqual([v.name, []]);
    }
  });

  it('every panel query is scoped by namespace and job, and goes to the chosen datasource', () => {
    const panels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');
    const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t })));
    expect(panels.length).toBeGreaterThan(20);
    expect(targets.length).toBeGreaterThan(panels.length);
    const problems = targets.flatMap(({ panel, target }) => {
      const at = `panel ${panel.id} "${panel.title}" ${target.refId}`;
      const found = unscoped(target.expr ?? '').map((p) => `${at}: ${p}`);
      if (!target.expr) found.push(`${at}: no expr`);
      if (target.datasource?.uid !== '${datasource}') found.push(`${at}: datasource ${JSON.stringify(target.datasource)}`);
      return found;
    });
    for (const panel of panels) if (panel.datasource?.uid !== '${datasource}') problems.push(`panel ${panel.id}: datasource ${JSON.stringify(panel.datasource)}`);
    expect(problems).toEqual([]);
  });

  it('every query parses as PromQL (promtool check rules, each as a recording rule)', () => {
    const promtool = findPromtool();
    if ('missing' in promtool) throw new Error(promtool.missing);
    const queries = [
      ...allPanels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ at: `panel ${p.id} ${t.refId}`, expr: t.expr ?? '' }))),
      // label_values(SELECTOR, label): the selector is the PromQL part.
      ...dashboard.templating.list.filter((v) => v.type === 'query').map((v) => ({ at: `variable ${v.name}`, expr: /^label_values\((.*), *\w+\)$/.exec(variableQuery(v))?.[1] ?? '' })),
    ];
    const filled = (expr: string): string =>
      expr.replaceAll('$__rate_interval', '1m').replaceAll('$namespace', 'prod').replaceAll('$job', '.*').replaceAll('$model', '.*');
    const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: filled(q.expr) }));
    expect(rules.every((r) => r.expr.length > 0 && !r.expr.includes('$'))).toBe(true);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roundhouse-dashboard-'));
    try {
      const file = path.join(dir, 'queries.yml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const result = promtool.run(['check', 'rules', file]);
      if (result.code !== 0) throw new Error(`${result.output}\n${queries.map((q, i) => `query_${i}: ${q.at}`).join('\n')}`);
      expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['sum(rate(roundhouse_trigger_events_consumed_total[5m]))', ['roundhouse_trigger_events_consumed_total has no selector']],
    ['sum(roundhouse_dispatcher_runs{model=~"$model"})', ['{model=~"$model"} lacks namespace=~"$namespace"', '{model=~"$model"} lacks job=~"$job"']],
    ['max(roundhouse_trigger_consumer_lag_messages{namespace=~"$namespace"}) or vector(0)', ['{namespace=~"$namespace"} lacks job=~"$job"']],
    ['up{job=~"$job"} == 0', ['{job=~"$job"} lacks namespace=~"$namespace"']],
    ['max by (instance) (roundhouse_trigger_process_resident_memory_bytes{namespace=~"$namespace", job=~"$job"})', []],
  ])('the check itself: %s', (expr, expected) => {
    expect(unscoped(expr)).toEqual(expected);
  });
});
