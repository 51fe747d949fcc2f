/**
 * Cut the next released version of the event schemas (see schemas/README.md):
 *
 *   npx tsx lib/events/cut-release.ts v2
 *
 * Writes schemas/released/<version>/<Event>.json (the standalone schema of every
 * event) after checking that <version> is the next number and that the current
 * schemas can read every earlier release. Never overwrites a release.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkAgainstReleases, loadReleasedVersions } from './compat';
import { EVENT_NAMES, PLATFORM_EVENTS, findSchemasDir, type RecordSchema } from './schemas';

export function cutRelease(version: string, schemasDir: string = findSchemasDir()): string[] {
  const releases = loadReleasedVersions(schemasDir);
  const expected = `v${(releases.at(-1)?.number ?? 0) + 1}`;
  if (version !== expected) throw new Error(`next release is ${expected}, not ${version}`);
  const current = new Map<string, RecordSchema>(EVENT_NAMES.map((n) => [n, PLATFORM_EVENTS[n].schema]));
  const problems = checkAgainstReleases(current, releases);
  if (problems.length > 0) {
    throw new Error(`current schemas break earlier releases:\n${problems.map((p) => `  ${p.version} ${p.event}: ${p.reason}`).join('\n')}`);
  }
  const dir = path.join(schemasDir, 'released', version);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.mkdirSync(dir); // not recursive: an existing release is never overwritten
  return EVENT_NAMES.map((name) => {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, `${JSON.stringify(PLATFORM_EVENTS[name].schema, null, 2)}\n`);
    return file;
  });
}

if (require.main === module) {
  const version = process.argv[2];
  if (version === undefined) {
    console.error('usage: npx tsx lib/events/cut-release.ts v<N>');
    process.exit(2);
  }
  for (const file of cutRelease(version)) console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
