/**
 * The composition root as deployed, in its embedded mode (memory bus, local
 * executor): the API and the probes listen on different ports (issue 14), so a
 * port can be opened to Prometheus and the kubelet without opening the API.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from './testing/wait';

const ROOT = resolve(__dirname, '..', '..');
const TOKEN = 'probe-token-0123456789';

let child: ChildProcess | undefined;
let workDir: string;

afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((done) => child!.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(workDir, { recursive: true, force: true });
});

interface Started {
  readonly probes: string;
  readonly api: string;
}

/** Start main.ts in embedded mode with `env` (over a minimal base); resolves once both servers listen. */
async function startMain(env: Record<string, string>): Promise<Started> {
  workDir = mkdtempSync(join(tmpdir(), 'dispatcher-main-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'services/dispatcher/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DISPATCHER_PORT: '0',
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      DISPATCHER_API_TOKENS: `probe:read+submit:${TOKEN}`,
      DISPATCHER_LOCAL_WORK_DIR: workDir,
      ROUNDHOUSE_CATALOG: 'config/catalog.yaml',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const urls: { probes?: string; api?: string } = {};
  const output: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    output.push(line);
    try {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'probes and metrics listening') urls.probes = entry.url;
      if (entry.msg?.startsWith('dispatcher API')) urls.api = entry.url;
    } catch {
      // not a log line
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  await waitFor(() => (urls.probes !== undefined && urls.api !== undefined) || child!.exitCode !== null, 'both servers to listen', 60_000);
  if (!urls.probes || !urls.api) throw new Error(`the dispatcher did not start both servers:\n${output.join('\n')}`);
  return { probes: urls.probes, api: urls.api };
}

const status = async (url: string, token?: string) => (await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})).status;

it('serves the API on DISPATCHER_PORT and /metrics, /healthz, /readyz on METRICS_PORT only', async () => {
  const urls = await startMain({});
  expect(urls.probes).not.toBe(urls.api);
  const metrics = await fetch(`${urls.probes}/metrics`);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toContain('roundhouse_dispatcher_api_requests_total');
  expect(await status(`${urls.probes}/healthz`)).toBe(200);
  await waitFor(async () => (await status(`${urls.probes}/readyz`)) === 200, 'ready', 30_000);

  for (const path of ['/metrics', '/healthz', '/readyz']) expect({ path, status: await status(`${urls.api}${path}`, TOKEN) }).toEqual({ path, status: 404 });
  expect(await status(`${urls.api}/v1/models/card-fraud/runs`, TOKEN)).toBe(200);
  expect(await status(`${urls.probes}/v1/models/card-fraud/runs`, TOKEN)).toBe(404);
});

it("gives a local trainer an allowlist of the dispatcher's environment: no API tokens, no dispatcher credentials (issue 14)", async () => {
  const dump = join(tmpdir(), `dispatcher-main-dump-${process.pid}-${Date.now()}.json`);
  const urls = await startMain({
    DISPATCHER_LOCAL_COMMAND: `${process.execPath} ${join(__dirname, 'executors', 'testdata', 'dump-env.js')} ${dump}`,
    KAFKA_SASL_USERNAME: 'dispatcher',
    KAFKA_SASL_PASSWORD: 'dispatcher-sasl-secret',
    SCHEMA_REGISTRY_PASSWORD: 'dispatcher-registry-secret',
    SCHEMA_REGISTRY_USERNAME: 'dispatcher',
    UNRELATED_SETTING: 'x',
    DISPATCHER_LOCAL_TRAINER_ENV_KAFKA_SASL_USERNAME: 'trainer',
    DISPATCHER_LOCAL_TRAINER_ENV_KAFKA_SASL_PASSWORD: 'trainer-sasl-password',
  });
  try {
    const response = await fetch(`${urls.api}/v1/runs`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ modelId: 'card-fraud', requestId: 'env-check' }) });
    expect(response.status).toBe(202);
    const seen = await waitFor(() => {
      try {
        return JSON.parse(readFileSync(dump, 'utf8')) as { env: Record<string, string>; spec: { runId: string } | null };
      } catch {
        return null;
      }
    }, 'the trainer to dump its environment', 60_000);
    expect(Object.keys(seen.env).filter((name) => name.startsWith('DISPATCHER_'))).toEqual([]);
    expect(JSON.stringify(seen.env)).not.toMatch(/probe-token|dispatcher-sasl-secret|dispatcher-registry-secret/);
    expect(seen.env).toMatchObject({ PATH: process.env.PATH, KAFKA_SASL_USERNAME: 'trainer', KAFKA_SASL_PASSWORD: 'trainer-sasl-password' });
    expect(seen.env.UNRELATED_SETTING).toBeUndefined();
    expect(seen.env.ROUNDHOUSE_RUN_SPEC).toBeUndefined();
    expect(seen.spec?.runId).toMatch(/^run-/);
  } finally {
    rmSync(dump, { force: true });
  }
});
