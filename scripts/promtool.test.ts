/**
 * The alert rules and the services' /metrics, checked by Prometheus's own
 * promtool rather than by our reading of them:
 * - `promtool check rules` parses the rules file (`check config`, the compose config);
 * - `promtool test rules` runs the unit tests in deploy/prometheus/rules/tests,
 *   each of which must make every alert fire and stay quiet at least once;
 * - the tests fail when an alert is broken: a copy of the rules with one alert
 *   mutated (a threshold, a grouping, a `for`) makes them fail on that alert;
 * - `promtool check metrics` lints each service's exposition.
 * Without promtool every test here fails with how to get it (never a skip).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, parseDocument } from 'yaml';
import { findPromtool, type Promtool } from './tools/promtool';
import { readServiceMetrics, type Service } from './testing/service-metrics';

const ROOT = path.resolve(__dirname, '..');
const RULES_DIR = path.join(ROOT, 'deploy', 'prometheus', 'rules');
const RULES = path.join(RULES_DIR, 'roundhouse.rules.yml');
const TESTS_DIR = path.join(RULES_DIR, 'tests');
const TEST_FILES = readdirSync(TESTS_DIR)
  .filter((name) => name.endsWith('.test.yml'))
  .sort()
  .map((name) => path.join(TESTS_DIR, name));

const found = findPromtool();
/** Every test calls this first, so a missing promtool fails each one with the same instructions. */
function promtool(): Promtool {
  if ('missing' in found) throw new Error(found.missing);
  return found;
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string; for?: string }[] }[];
}
interface RuleTestFile {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: unknown[] }[] }[];
}

const alertNames = (rules: RuleFile): string[] => rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
const readYaml = <T>(file: string): T => parseYaml(readFileSync(file, 'utf8')) as T;

/** Copies the rules and their tests to a temp dir, same layout, with `mutate` applied to the rules text. */
function copyRules(mutate: (text: string) => string): { dir: string; tests: string[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roundhouse-rules-'));
  writeFileSync(path.join(dir, path.basename(RULES)), mutate(readFileSync(RULES, 'utf8')));
  mkdirSync(path.join(dir, 'tests'));
  const tests = TEST_FILES.map((file) => {
    const copy = path.join(dir, 'tests', path.basename(file));
    writeFileSync(copy, readFileSync(file, 'utf8'));
    return copy;
  });
  return { dir, tests };
}

/** Replaces `from` by `to` in one field of one alert, parsed as YAML (so nothing else can match). */
function mutateAlert(alert: string, field: 'expr' | 'for', from: string, to: string): (text: string) => string {
  return (text) => {
    const doc = parseDocument(text);
    const groups = (doc.toJS() as RuleFile).groups;
    for (const [g, group] of groups.entries()) {
      for (const [r, rule] of group.rules.entries()) {
        if (rule.alert !== alert) continue;
        const value = String(rule[field]);
        if (!value.includes(from)) throw new Error(`${alert}.${field} has no ${JSON.stringify(from)}: ${value}`);
        doc.setIn(['groups', g, 'rules', r, field], value.replace(from, to));
        return doc.toString();
      }
    }
    throw new Error(`no alert ${alert}`);
  };
}

describe('alert rules under promtool', () => {
  const rules = readYaml<RuleFile>(RULES);
  const alerts = alertNames(rules);

  it('promtool is available', () => {
    expect(promtool().version).toMatch(/^promtool, version \d+\.\d+/);
  });

  it('promtool check rules accepts the rules file', () => {
    const result = promtool().run(['check', 'rules', RULES]);
    expect(result.output).toContain(`SUCCESS: ${rules.groups.flatMap((g) => g.rules).length} rules found`);
    expect(result.code).toBe(0);
  });

  it('promtool check config accepts the compose Prometheus config', () => {
    const result = promtool().run(['check', 'config', path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml')]);
    if (result.code !== 0) throw new Error(result.output);
  });

  it('promtool test rules passes every test file', () => {
    expect(TEST_FILES.length).toBeGreaterThan(0);
    const result = promtool().run(['test', 'rules', ...TEST_FILES]);
    if (result.code !== 0) throw new Error(`promtool test rules failed:\n${result.output}`);
    expect(result.output.match(/SUCCESS/g)).toHaveLength(TEST_FILES.length);
  }, 60_000);

  it('every alert has a test where it fires and one where it does not, against the real rules file', () => {
    promtool();
    const firing = new Set<string>();
    const quiet = new Set<string>();
    const tested = new Set<string>();
    for (const file of TEST_FILES) {
      const tests = readYaml<RuleTestFile>(file);
      // A test of a copy of the rules would prove nothing about the file we ship.
      expect(tests.rule_files.map((f) => path.resolve(path.dirname(file), f))).toEqual([RULES]);
      for (const check of tests.tests.flatMap((t) => t.alert_rule_test ?? [])) {
        tested.add(check.alertname);
        ((check.exp_alerts ?? []).length > 0 ? firing : quiet).add(check.alertname);
      }
    }
    // An alertname typo would pass its "no alert" checks vacuously.
    expect([...tested].filter((name) => !alerts.includes(name))).toEqual([]);
    expect(alerts.length).toBeGreaterThanOrEqual(7);
    expect(alerts.filter((name) => !firing.has(name))).toEqual([]);
    expect(alerts.filter((name) => !quiet.has(name))).toEqual([]);
  });

  describe('a broken alert fails its tests', () => {
    const made: string[] = [];
    afterAll(() => {
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    });
    /** Runs the copied tests that name `alert` (all of them without one). */
    const run = (mutate: (text: string) => string, alert?: string): ReturnType<Promtool['run']> => {
      const copy = copyRules(mutate);
      made.push(copy.dir);
      const tests = alert === undefined ? copy.tests : copy.tests.filter((file) => readFileSync(file, 'utf8').includes(`alertname: ${alert}\n`));
      expect(tests.length).toBeGreaterThan(0);
      return promtool().run(['test', 'rules', ...tests]);
    };

    it('the unchanged copy passes (so the failures below come from the mutation)', () => {
      const result = run((text) => text);
      if (result.code !== 0) throw new Error(result.output);
    }, 60_000);

    // One mutation per alert at least: each must be caught by that alert's own tests.
    it.each([
      ['RoundhouseDeadLettersGrowing', 'expr', ') > 0', ') > 2'],
      ['RoundhouseRunStuck', 'expr', 'unless on (namespace, model)', 'unless on (model)'],
      ['RoundhouseRunStuck', 'expr', '> 3 * 3600', '> 0'],
      ['RoundhouseRunsFailing', 'expr', '>= 3', '>= 4'],
      ['RoundhouseNoEvents', 'expr', '== 0', '== 1'],
      ['RoundhouseConsumerLagHigh', 'expr', '> 50000', '> 60000'],
      ['RoundhouseConsumerLagHigh', 'for', '15m', '5m'],
      ['RoundhouseTriggerNotReady', 'expr', 'min by (namespace, job)', 'max by (namespace, job)'],
      ['RoundhouseTriggerLateEvents', 'expr', ') > 0', ') > 40'],
      ['RoundhouseTriggerLabelPartialsRedelivered', 'expr', 'max by (namespace, topic)', 'sum by (namespace, topic)'],
      ['RoundhouseTriggerLabelsCountedTwice', 'expr', ') > 0', ') > 1'],
      ['RoundhouseServiceDown', 'expr', 'min by (namespace, job)', 'min by (job)'],
      ['RoundhouseNoLeader', 'expr', 'max by (namespace, job) (roundhouse_dispatcher_leader)', 'min by (namespace, job) (roundhouse_dispatcher_leader)'],
      ['RoundhouseNoLeader', 'for', '5m', '1m'],
    ] as const)('%s: %s %j → %j', (alert, field, from, to) => {
      const result = run(mutateAlert(alert, field, from, to), alert);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(`alertname: ${alert},`);
    }, 60_000);
  });
});

describe("promtool check metrics on each service's /metrics", () => {
  let expositions: Map<Service, string>;

  beforeAll(async () => {
    expositions = await readServiceMetrics((metrics) => metrics.registry.metrics());
  }, 60_000);

  it.each(['trigger', 'dispatcher', 'evaluator'] as const)('%s', (service) => {
    const text = expositions.get(service)!;
    expect(text).toContain(`# TYPE roundhouse_${service}_`);
    const result = promtool().run(['check', 'metrics'], { stdin: text });
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('reports what it should (a gauge named like a counter, a missing help)', () => {
    const bad = '# HELP x_active_total Active things.\n# TYPE x_active_total gauge\nx_active_total 1\n# TYPE x_seconds gauge\nx_seconds 2\n';
    const result = promtool().run(['check', 'metrics'], { stdin: bad });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('x_active_total non-counter metrics should not have "_total" suffix');
    expect(result.output).toContain('x_seconds no help text');
  });
});
