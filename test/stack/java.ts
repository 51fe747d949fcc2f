/**
 * Finds a Java runtime new enough for a component. Kafka 4.1 runs on 17; Apicurio
 * Registry 3.3 is compiled for 21 (on 17 it dies with UnsupportedClassVersionError,
 * class file version 65), so one machine may need two JDKs: we look beyond PATH.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HOW_TO_GET_A_STACK, StackError, StackErrorCodes } from './errors';
import { runCommand } from './util';

export interface JavaRuntime {
  readonly bin: string;
  readonly version: string;
  readonly major: number;
}

/** Parses `java -version` output: `version "17.0.15"`, `version "21"`, `version "1.8.0_392"`. */
export function parseJavaVersion(text: string): { version: string; major: number } | undefined {
  const version = /version "([^"]+)"/.exec(text)?.[1];
  if (version === undefined) return undefined;
  const parts = version.split(/[._+-]/).map(Number);
  const major = parts[0] === 1 ? parts[1] : parts[0];
  return major === undefined || Number.isNaN(major) ? undefined : { version, major };
}

/** Candidate java binaries in order of preference: JAVA_HOME, PATH, then installed JDKs, newest first. */
async function candidates(javaHome: string | undefined): Promise<string[]> {
  const found: string[] = [];
  if (javaHome) found.push(path.join(javaHome, 'bin', 'java'));
  found.push('java');
  const roots: Array<[string, string]> = [
    ['/usr/lib/jvm', 'bin/java'],
    ['/Library/Java/JavaVirtualMachines', 'Contents/Home/bin/java'],
  ];
  for (const [root, rel] of roots) {
    const names = await fs.readdir(root).catch(() => [] as string[]);
    found.push(...names.sort().reverse().map((name) => path.join(root, name, rel)));
  }
  return found;
}

const probed = new Map<string, Promise<JavaRuntime | undefined>>();

function probe(bin: string): Promise<JavaRuntime | undefined> {
  let result = probed.get(bin);
  if (result === undefined) {
    result = runCommand(bin, ['-version'], { timeoutMs: 30_000 })
      .then((r) => {
        const parsed = r.code === 0 ? parseJavaVersion(r.output) : undefined;
        return parsed && { bin, ...parsed };
      })
      .catch(() => undefined);
    probed.set(bin, result);
  }
  return result;
}

/** The first Java runtime with major version ≥ `minMajor`; throws PREREQUISITE_MISSING naming what was found. */
export async function findJava(minMajor: number, purpose: string, javaHome: string | undefined): Promise<JavaRuntime> {
  const seen: string[] = [];
  for (const bin of await candidates(javaHome)) {
    const runtime = await probe(bin);
    if (runtime === undefined) continue;
    if (runtime.major >= minMajor) return runtime;
    seen.push(`${bin} is ${runtime.version}`);
  }
  const found = seen.length > 0 ? `found only: ${[...new Set(seen)].join('; ')}` : 'no java found';
  throw new StackError(StackErrorCodes.PREREQUISITE_MISSING, `${purpose} needs Java ${minMajor}+ (${found}). ${HOW_TO_GET_A_STACK}`);
}
