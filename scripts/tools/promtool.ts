/**
 * Finds Prometheus's promtool for the alert and exposition tests
 * (scripts/promtool.test.ts). Looked for, in order: $PROMTOOL, `promtool` on
 * PATH, the copy scripts/tools/get-promtool.sh extracts into the cache (what
 * .ci/run uses on a fresh machine). Nothing here installs anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CACHED_PROMTOOL = path.join(os.homedir(), '.cache', 'roundhouse', 'tools', 'promtool-debian', 'promtool');

export const HOW_TO_GET_PROMTOOL =
  'promtool (Prometheus) not found: run `bash scripts/tools/get-promtool.sh` (extracts it from Debian\'s prometheus package ' +
  `into ${path.dirname(CACHED_PROMTOOL)}; .ci/run does this), or install Prometheus's promtool and put it on PATH ` +
  '(apt-get install prometheus, brew install prometheus, or `go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0`), ' +
  'or set PROMTOOL to its path.';

export interface PromtoolResult {
  readonly code: number | null;
  /** stdout then stderr. */
  readonly output: string;
}

export interface Promtool {
  readonly bin: string;
  /** First line of `promtool --version`. */
  readonly version: string;
  run(args: readonly string[], opts?: { stdin?: string; cwd?: string }): PromtoolResult;
}

function runAt(bin: string, args: readonly string[], opts: { stdin?: string; cwd?: string } = {}): PromtoolResult {
  const result = spawnSync(bin, [...args], { cwd: opts.cwd, input: opts.stdin ?? '', encoding: 'utf8', timeout: 120_000 });
  if (result.error) return { code: null, output: String(result.error) };
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

function working(bin: string): Promtool | undefined {
  const probe = runAt(bin, ['--version']);
  if (probe.code !== 0) return undefined;
  return { bin, version: probe.output.split('\n')[0]!.trim(), run: (args, opts) => runAt(bin, args, opts) };
}

/** The promtool to use, or a message saying how to get one. A PROMTOOL that does not run is an error, not a fallback. */
export function findPromtool(env: NodeJS.ProcessEnv = process.env): Promtool | { readonly missing: string } {
  const named = env.PROMTOOL;
  if (named) return working(named) ?? { missing: `PROMTOOL=${named} does not run (\`${named} --version\` failed). ${HOW_TO_GET_PROMTOOL}` };
  return working('promtool') ?? (existsSync(CACHED_PROMTOOL) ? working(CACHED_PROMTOOL) : undefined) ?? { missing: HOW_TO_GET_PROMTOOL };
}
