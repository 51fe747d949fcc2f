/**
 * The composition root as deployed, in its embedded mode (memory bus, local
 * executor): the API and the probes listen on different ports (issue 14), so a
 * port can be opened to Prometheus and the kubelet without opening the API.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

it('serves the API on DISPATCHER_PORT and /metrics, /healthz, /readyz on METRICS_PORT only', async () => {
  workDir = mkdtempSync(join(tmpdir(), 'dispatcher-main-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'services/dispatcher/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DISPATCHER_PORT: '0',
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      DISPATCHER_API_TOKENS: `probe:read:${TOKEN}`,
      DISPATCHER_LOCAL_WORK_DIR: workDir,
      ROUNDHOUSE_CATALOG: 'config/catalog.yaml',
      LOG_LEVEL: 'info',
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
  expect(urls.probes).not.toBe(urls.api);

  const status = async (url: string, token?: string) => (await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})).status;
  const metrics = await fetch(`${urls.probes}/metrics`);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toContain('roundhouse_dispatcher_api_requests_total');
  expect(await status(`${urls.probes}/healthz`)).toBe(200);
  await waitFor(async () => (await status(`${urls.probes}/readyz`)) === 200, 'ready', 30_000);

  for (const path of ['/metrics', '/healthz', '/readyz']) expect({ path, status: await status(`${urls.api}${path}`, TOKEN) }).toEqual({ path, status: 404 });
  expect(await status(`${urls.api}/v1/models/card-fraud/runs`, TOKEN)).toBe(200);
  expect(await status(`${urls.probes}/v1/models/card-fraud/runs`, TOKEN)).toBe(404);
});
