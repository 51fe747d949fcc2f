/**
 * Fuzzes the dispatcher's HTTP API from its own OpenAPI document (issue 14):
 * the app is built as the API tests build it (memory bus, memory registry, the
 * recording executor, a manual clock) over the shipped catalog, served on a
 * loopback port, and schemathesis reads /openapi.json from it and sends what it
 * generates with a token that has every scope. The dispatcher counts every
 * answer by status itself (roundhouse_dispatcher_api_requests_total), so the
 * number of requests and of 5xx does not depend on parsing schemathesis' output.
 * Used by scripts/fuzz-api.ts (CLI) and scripts/fuzz-api.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCatalog } from '../../lib/catalog';
import { TOKEN, listen, startDispatcher, world } from '../../services/dispatcher/testing/harness';
import { findSchemathesis } from '../tools/schemathesis';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * What CI gates on: every schemathesis check (no 5xx — not_a_server_error, the
 * issue's bar — but also documented status codes, content types and response
 * schemas, refused invalid input, 405 for undeclared methods, auth enforced)
 * except positive_data_acceptance: some valid-looking requests are refused on
 * purpose by rules a JSON Schema cannot state (endTime after startTime, a window
 * ending before now + 5 minutes and no longer than the model's lookback, a
 * segment agreeing with the member id), each a 400 naming the field.
 */
export const GATING_CHECKS = ['all'] as const;
export const EXCLUDED_CHECKS = ['positive_data_acceptance'] as const;

export interface FuzzOptions {
  /** Test cases per operation and phase (schemathesis --max-examples). */
  readonly maxExamples: number;
  readonly seed: number;
  /** schemathesis --checks and --exclude-checks; default GATING_CHECKS and EXCLUDED_CHECKS. */
  readonly checks?: readonly string[];
  readonly excludeChecks?: readonly string[];
  /** Kill schemathesis after this long. */
  readonly timeoutMs?: number;
}

export interface FuzzResult {
  /** The schemathesis command line, token redacted. */
  readonly command: string;
  readonly version: string;
  readonly exitCode: number | null;
  readonly output: string;
  /** schemathesis' JSON report (--report json), when it wrote one. */
  readonly report: { readonly test_cases?: { readonly generated?: number }; readonly failures?: readonly { readonly code: string; readonly title: string; readonly count: number; readonly operations: readonly string[] }[] } | null;
  /** Requests the dispatcher answered (its own counter), and how, by status code. */
  readonly requests: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly serverErrors: number;
}

async function answered(h: Awaited<ReturnType<typeof startDispatcher>>): Promise<Record<string, number>> {
  const metric = h.metrics.registry.getSingleMetric('roundhouse_dispatcher_api_requests_total');
  const byStatus: Record<string, number> = {};
  for (const { labels, value } of (await metric!.get()).values) byStatus[String(labels.status)] = (byStatus[String(labels.status)] ?? 0) + value;
  return byStatus;
}

export async function fuzzDispatcherApi(options: FuzzOptions): Promise<FuzzResult> {
  const found = findSchemathesis();
  if ('missing' in found) throw new Error(found.missing);
  const catalog = loadCatalog(path.join(ROOT, 'config', 'catalog.yaml'));
  const h = await startDispatcher({ ...world(), catalog });
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'roundhouse-fuzz-'));
  try {
    const base = await listen(h);
    const reportPath = path.join(workDir, 'report.json');
    const args = [
      'run',
      `${base}/openapi.json`,
      '--header',
      `Authorization: Bearer ${TOKEN}`,
      '--checks',
      (options.checks ?? GATING_CHECKS).join(','),
      ...((options.excludeChecks ?? EXCLUDED_CHECKS).length > 0 ? ['--exclude-checks', (options.excludeChecks ?? EXCLUDED_CHECKS).join(',')] : []),
      '--max-examples',
      String(options.maxExamples),
      '--seed',
      String(options.seed),
      // Two cores shared with others: one worker; no example database left in the tree.
      '--workers',
      '1',
      '--generation-database',
      'none',
      '--request-timeout',
      '30',
      '--no-color',
      '--report',
      'json',
      '--report-json-path',
      reportPath,
    ];
    // Asynchronous: the server answering schemathesis runs in this process.
    const child = spawn(found.bin, args, { cwd: workDir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20 * 60_000);
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    }).finally(() => clearTimeout(timer));
    let report: FuzzResult['report'] = null;
    try {
      report = JSON.parse(readFileSync(reportPath, 'utf8')) as FuzzResult['report'];
    } catch {
      // no report: the output says why
    }
    const byStatus = await answered(h);
    const requests = Object.values(byStatus).reduce((a, b) => a + b, 0);
    const serverErrors = Object.entries(byStatus)
      .filter(([status]) => status.startsWith('5'))
      .reduce((a, [, n]) => a + n, 0);
    const command = ['schemathesis', ...args.map((a) => (a.startsWith('Authorization:') ? "'Authorization: Bearer <token>'" : a.startsWith(workDir) ? a.replace(workDir, '<tmp>') : a))].join(' ');
    return { command, version: found.version, exitCode, output: Buffer.concat(chunks).toString('utf8'), report, requests, byStatus, serverErrors };
  } finally {
    await h.app.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}
