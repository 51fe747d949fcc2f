/**
 * BACKWARD compatibility, checked the way a consumer experiences it: can the
 * current schema (reader) resolve data written with a released one (writer)?
 * avsc builds the resolver eagerly, so every field and enum symbol is checked up
 * front, not only the branches some sample happens to take.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SchemaJson } from './inline';
import { findSchemasDir, toAvroType, type RecordSchema } from './schemas';

export type CompatibilityResult = { readonly compatible: true } | { readonly compatible: false; readonly reason: string };

export function checkBackwardCompatible(reader: RecordSchema | SchemaJson, writer: RecordSchema | SchemaJson): CompatibilityResult {
  try {
    toAvroType(reader).createResolver(toAvroType(writer));
    return { compatible: true };
  } catch (err) {
    return { compatible: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

export interface ReleasedVersion {
  /** Directory name, e.g. 'v1'. */
  readonly version: string;
  readonly number: number;
  /** Standalone schema per event name. */
  readonly schemas: ReadonlyMap<string, RecordSchema>;
}

const VERSION_DIR = /^v([1-9][0-9]*)$/;

/** Every release under schemas/released, oldest first. */
export function loadReleasedVersions(schemasDir: string = findSchemasDir()): ReleasedVersion[] {
  const root = path.join(schemasDir, 'released');
  if (!fs.existsSync(root)) return [];
  const versions: ReleasedVersion[] = [];
  for (const entry of fs.readdirSync(root)) {
    const match = VERSION_DIR.exec(entry);
    if (!match?.[1]) continue;
    const dir = path.join(root, entry);
    const schemas = new Map<string, RecordSchema>();
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      schemas.set(path.basename(file, '.json'), JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as RecordSchema);
    }
    versions.push({ version: entry, number: Number(match[1]), schemas });
  }
  return versions.sort((a, b) => a.number - b.number);
}

export interface CompatibilityProblem {
  readonly version: string;
  readonly event: string;
  readonly reason: string;
}

/**
 * Check `current` against every released version (transitively: roundhouse.model-ready
 * is compacted, so records written with v1 stay readable forever). An event
 * that a release has and `current` lacks is a problem too: removing one breaks
 * its consumers.
 */
export function checkAgainstReleases(
  current: ReadonlyMap<string, RecordSchema>,
  releases: readonly ReleasedVersion[],
): CompatibilityProblem[] {
  const problems: CompatibilityProblem[] = [];
  for (const release of releases) {
    for (const [event, writer] of release.schemas) {
      const reader = current.get(event);
      if (reader === undefined) {
        problems.push({ version: release.version, event, reason: 'event no longer exists' });
        continue;
      }
      const result = checkBackwardCompatible(reader, writer);
      if (!result.compatible) problems.push({ version: release.version, event, reason: result.reason });
    }
  }
  return problems;
}
