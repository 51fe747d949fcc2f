/**
 * Finds schemathesis (PyPI) for the API fuzzing (scripts/fuzz-api.ts and its
 * test). Looked for, in order: $SCHEMATHESIS, `schemathesis` on PATH, the
 * `pip install --user` location (~/.local/bin, where .ci/run puts it). Nothing
 * here installs anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REQUIREMENTS = 'scripts/fuzz/requirements.txt';
export const HOW_TO_GET_SCHEMATHESIS =
  `schemathesis not found: run \`pip install --user -r ${REQUIREMENTS}\` (Python 3.9+; .ci/run does this), ` +
  'or put `schemathesis` on PATH, or set SCHEMATHESIS to its path.';

export interface Schemathesis {
  readonly bin: string;
  readonly version: string;
}

function working(bin: string): Schemathesis | undefined {
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error || probe.status !== 0) return undefined;
  return { bin, version: `${probe.stdout}`.trim().split('\n')[0]! };
}

/** The schemathesis to use, or a message saying how to get one. A SCHEMATHESIS that does not run is an error, not a fallback. */
export function findSchemathesis(env: NodeJS.ProcessEnv = process.env): Schemathesis | { readonly missing: string } {
  const named = env.SCHEMATHESIS;
  if (named) return working(named) ?? { missing: `SCHEMATHESIS=${named} does not run (\`${named} --version\` failed). ${HOW_TO_GET_SCHEMATHESIS}` };
  const userBin = path.join(env.PYTHONUSERBASE ?? path.join(os.homedir(), '.local'), 'bin', 'schemathesis');
  return working('schemathesis') ?? (existsSync(userBin) ? working(userBin) : undefined) ?? { missing: HOW_TO_GET_SCHEMATHESIS };
}
