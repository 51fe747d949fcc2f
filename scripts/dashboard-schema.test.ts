/**
 * The dashboard against Grafana's own schema rather than our reading of it: the
 * Apache-2.0 Grafana foundation SDK's strict decoder (scripts/dashboard-validate,
 * Go) refuses unknown fields, wrong types and missing required fields in the
 * dashboard, its variables, its panels' options and field config (each panel
 * plugin's schema) and its Prometheus queries. No Grafana server is reachable
 * here to load it for real. The SDK does not check enum values (a stat panel's
 * colorMode "rainbow" passes).
 *
 * The tool is built once (a few minutes cold, .ci/run does it before jest) into
 * ~/.cache/roundhouse/tools; without Go this fails saying how to get it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGoTool } from './tools/go-tool';

const DASHBOARD = path.join(__dirname, '..', 'deploy', 'grafana', 'dashboards', 'roundhouse.json');

// Loose on purpose: the corruptions below reach into whatever they break.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('the dashboard under the Grafana foundation SDK strict decoder', () => {
  let bin: string;
  let dir: string;
  const validate = (file: string): { code: number | null; output: string } => {
    const result = spawnSync(bin, [file], { encoding: 'utf8', timeout: 60_000 });
    return { code: result.status, output: `${result.stdout}${result.stderr}${result.error ? String(result.error) : ''}` };
  };

  beforeAll(async () => {
    bin = await buildGoTool('dashboard-validate');
    dir = mkdtempSync(path.join(os.tmpdir(), 'roundhouse-dashboard-schema-'));
  }, 20 * 60_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts deploy/grafana/dashboards/roundhouse.json', () => {
    const result = validate(DASHBOARD);
    expect(result.output).toBe(`${DASHBOARD}: ok\n`);
    expect(result.code).toBe(0);
  });

  // [what, how to break a copy, what the decoder must say]
  it.each<[string, (d: Json) => void, string]>([
    ['a panel field of the wrong type', (d) => (d.panels[1].gridPos.w = 'wide'), 'panels[1].gridPos.w: json: cannot unmarshal string into Go value of type uint32'],
    ['a misspelt panel option (the timeseries plugin schema)', (d) => (d.panels[8].options.legend.showLegnd = true), "panels[8].options.legend.VizLegendOptions: unexpected field 'showLegnd'"],
    ['a Prometheus query field of the wrong type', (d) => (d.panels[1].targets[0].range = 'yes'), 'panels[1].targets[0].range: json: cannot unmarshal string into Go value of type bool'],
    ['a query that is not a string', (d) => (d.panels[8].targets[0].expr = 42), 'panels[8].targets[0].expr: json: cannot unmarshal number into Go value of type string'],
    ['a panel without a type', (d) => delete d.panels[1].type, "panels[1]: discriminator field 'type' not found in payload"],
    ['a variable without a name', (d) => delete d.templating.list[1].name, 'templating.list[1].name: required field is missing from input'],
    ['an unknown top-level field', (d) => (d.templatng = {}), "Dashboard: unexpected field 'templatng'"],
  ])('refuses %s', (_what, corrupt, message) => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Json;
    corrupt(dashboard);
    const file = path.join(dir, 'corrupt.json');
    writeFileSync(file, JSON.stringify(dashboard, null, 2));
    const result = validate(file);
    expect(result.output).toContain(`${file}: ${message}\n`);
    expect(result.code).toBe(1);
  });
});
