/**
 * Services started as deployed (their main.ts, through tsx) in child processes,
 * for the tests that kill them: a free port each for probes/metrics and the API,
 * their output kept for the failure message, and helpers that read their probes.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { waitUntil } from './kubernetes';

const ROOT = resolve(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export type ServiceKind = 'dispatcher' | 'evaluator';

export interface ServiceProcess {
  readonly kind: ServiceKind;
  readonly name: string;
  readonly child: ChildProcess;
  /** Base URL of /healthz, /readyz and /metrics. */
  readonly probes: string;
  /** Base URL of the dispatcher's API (null for an evaluator). */
  readonly api: string | null;
  readonly output: string[];
  readonly exited: Promise<number | null>;
}

export interface SpawnOptions {
  /** Environment on top of PATH, HOME, the ports, the instance id and the defaults below. */
  readonly env: Record<string, string>;
  /** Kept in the list so `stopAll` kills it at the end of the test. */
  readonly into?: ServiceProcess[];
}

/** Starts services/<kind>/main.ts as instance `name` and waits until it serves /healthz. */
export async function spawnService(kind: ServiceKind, name: string, options: SpawnOptions): Promise<ServiceProcess> {
  const metricsPort = await freePort();
  const apiPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${kind}/main.ts`], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'info',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      ROUNDHOUSE_INSTANCE_ID: name,
      KAFKA_REPLICATION_FACTOR: '1',
      ...(kind === 'dispatcher' ? { DISPATCHER_PORT: String(apiPort), DISPATCHER_ADVERTISE_URL: `http://127.0.0.1:${apiPort}` } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => output.push(line));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const service: ServiceProcess = { kind, name, child, probes: `http://127.0.0.1:${metricsPort}`, api: kind === 'dispatcher' ? `http://127.0.0.1:${apiPort}` : null, output, exited };
  options.into?.push(service);
  await waitUntil(`${name} to serve its probes`, async () => (child.exitCode !== null ? Promise.reject(new Error(`${name} exited ${child.exitCode}:\n${output.join('\n')}`)) : (await fetch(`${service.probes}/healthz`)).ok), {
    timeoutMs: 120_000,
    intervalMs: 200,
  });
  return service;
}

/** SIGKILLs every service still running in `services` (emptying it) and waits for each to exit. */
export async function stopAll(services: ServiceProcess[]): Promise<void> {
  for (const s of services.splice(0)) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await s.exited;
  }
}

/** The value of an unlabelled gauge or counter on the service's /metrics, if exported. */
export async function gauge(service: ServiceProcess, metric: string): Promise<number | undefined> {
  const text = await (await fetch(`${service.probes}/metrics`)).text();
  const match = new RegExp(`^${metric} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/** roundhouse_<kind>_leader is 1. */
export const leads = async (s: ServiceProcess): Promise<boolean> => (await gauge(s, `roundhouse_${s.kind}_leader`).catch(() => undefined)) === 1;

export const ready = async (s: ServiceProcess): Promise<boolean> => (await fetch(`${s.probes}/readyz`).catch(() => undefined))?.status === 200;
