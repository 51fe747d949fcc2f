import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ErrorCodes, RoundhouseError, errorCode, errorMessage } from '../errors';
import { integrityError } from './errors';
import { ARTIFACT_FILES, type ArtifactStore, type Manifest, type ManifestFile } from './types';

/**
 * manifest.json: the artifact's table of contents. Written last, so a manifest
 * that exists names files that were all written; TrainingCompleted carries its
 * sha256, so a reader can check the whole directory from one digest:
 * manifest hash → each file's hash (verifyArtifact).
 */

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface ArtifactFileInput {
  readonly name: string;
  readonly data: Buffer;
}

export type ManifestFields = Omit<Manifest, 'version' | 'files'>;

export function buildManifest(fields: ManifestFields, files: readonly ArtifactFileInput[]): Manifest {
  const names = new Set<string>();
  for (const f of files) {
    if (f.name === ARTIFACT_FILES.manifest) throw invalid(['files: the manifest cannot list itself']);
    if (names.has(f.name)) throw invalid([`files: ${f.name} appears twice`]);
    names.add(f.name);
  }
  return {
    version: 1,
    ...fields,
    files: files.map((f): ManifestFile => ({ name: f.name, sha256: sha256Hex(f.data), bytes: f.data.length })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

const count = z.number().int().min(0);
const ManifestShape = z.object({
  version: z.literal(1),
  runId: z.string().min(1),
  modelId: z.string().min(1),
  modelFormat: z.string().min(1),
  files: z.array(z.object({ name: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits'), bytes: count })),
  dataWindow: z.object({
    startTime: z.number().int(),
    endTime: z.number().int(),
    partitions: z.array(z.object({ topic: z.string().min(1), partition: count, startOffset: count, endOffset: count })),
  }),
  rows: count,
  positives: count,
  rowsSha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits').optional(),
  codeVersion: z.string().min(1),
  createdAt: z.number().int(),
});

/** Parse manifest.json; every problem with its path (VALIDATION, not retriable). */
export function parseManifest(data: Buffer | string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch (error) {
    throw invalid([`(root): not JSON: ${(error as Error).message}`]);
  }
  const parsed = ManifestShape.safeParse(json);
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  return parsed.data as Manifest;
}

export interface WrittenArtifact {
  readonly manifest: Manifest;
  /** sha256 of manifest.json as written: TrainingCompleted.artifactSha256. */
  readonly manifestSha256: string;
}

/** Write every file, then the manifest (last: it is the commit point of the directory). */
export async function writeArtifact(store: ArtifactStore, dirUri: string, fields: ManifestFields, files: readonly ArtifactFileInput[]): Promise<WrittenArtifact> {
  const manifest = buildManifest(fields, files);
  for (const f of files) await store.writeFile(dirUri, f.name, f.data);
  const bytes = serializeManifest(manifest);
  await store.writeFile(dirUri, ARTIFACT_FILES.manifest, bytes);
  return { manifest, manifestSha256: sha256Hex(bytes) };
}

/** manifest.json is small (one entry per file); a larger one is not read. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * Reads one file the manifest lists: never more bytes than the manifest says
 * (the store refuses a larger object without reading it), then checks its size
 * and sha256. A mismatch is ARTIFACT_INTEGRITY naming the object; an absent file
 * keeps the store's NOT_FOUND, an unreachable store its retriable error.
 */
export async function readListed(store: ArtifactStore, dirUri: string, entry: ManifestFile): Promise<Buffer> {
  const dir = dirUri.endsWith('/') ? dirUri : `${dirUri}/`;
  const data = await store.readFile(dir, entry.name, { maxBytes: entry.bytes });
  const where = `${dir}${entry.name}`;
  if (data.length !== entry.bytes) throw integrityError(where, `${data.length} bytes, the manifest says ${entry.bytes}`);
  const actual = sha256Hex(data);
  if (actual !== entry.sha256) throw integrityError(where, `sha256 ${actual}, the manifest says ${entry.sha256}`);
  return data;
}

/**
 * Reads manifest.json (bounded by MAX_MANIFEST_BYTES). Absent: NOT_FOUND, the
 * artifact is not published (the manifest is written last). A digest other than
 * `expectedSha256` (TrainingCompleted.artifactSha256): ARTIFACT_INTEGRITY.
 */
export async function readManifest(store: ArtifactStore, dirUri: string, expectedSha256?: string | null): Promise<WrittenArtifact> {
  const dir = dirUri.endsWith('/') ? dirUri : `${dirUri}/`;
  let bytes: Buffer;
  try {
    bytes = await store.readFile(dir, ARTIFACT_FILES.manifest, { maxBytes: MAX_MANIFEST_BYTES });
  } catch (error) {
    if (errorCode(error) !== ErrorCodes.NOT_FOUND) throw error;
    throw new RoundhouseError(ErrorCodes.NOT_FOUND, `${dir}${ARTIFACT_FILES.manifest} is missing: the artifact is not published (the manifest is written last)`, {
      retriable: false,
      context: { dirUri: dir },
      cause: error,
    });
  }
  const manifestSha256 = sha256Hex(bytes);
  if (expectedSha256 && expectedSha256.toLowerCase() !== manifestSha256) {
    throw integrityError(`${dir}${ARTIFACT_FILES.manifest}`, `sha256 ${manifestSha256}, expected ${expectedSha256}`);
  }
  return { manifest: parseManifest(bytes), manifestSha256 };
}

/**
 * Recompute the digest of manifest.json (against `expectedSha256` when given, e.g.
 * TrainingCompleted.artifactSha256) and of every file it lists. A missing
 * manifest is NOT_FOUND (not published); any mismatch or missing file is
 * ARTIFACT_INTEGRITY naming every problem; a malformed manifest VALIDATION; a
 * store that cannot be reached keeps its own (retriable) error.
 */
export async function verifyArtifact(store: ArtifactStore, dirUri: string, expectedSha256?: string | null): Promise<WrittenArtifact> {
  const written = await readManifest(store, dirUri, expectedSha256);
  const problems: string[] = [];
  for (const f of written.manifest.files) {
    try {
      await readListed(store, dirUri, f);
    } catch (error) {
      if (errorCode(error) === ErrorCodes.NOT_FOUND) problems.push(`${f.name}: missing`);
      else if (errorCode(error) === ErrorCodes.ARTIFACT_INTEGRITY) problems.push(errorMessage(error));
      else throw error;
    }
  }
  if (problems.length > 0) {
    throw new RoundhouseError(ErrorCodes.ARTIFACT_INTEGRITY, `artifact ${dirUri} does not verify:\n  ${problems.join('\n  ')}`, {
      retriable: false,
      context: { dirUri, problems: problems.length },
    });
  }
  return written;
}

function invalid(problems: readonly string[], dirUri?: string): RoundhouseError {
  return new RoundhouseError(ErrorCodes.VALIDATION, `artifact${dirUri ? ` ${dirUri}` : ''} does not verify:\n  ${problems.join('\n  ')}`, {
    retriable: false,
    context: { dirUri, problems: problems.length },
  });
}
