import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ErrorCodes, RoundhouseError, errorCode } from '../errors';
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

/**
 * Recompute the digest of manifest.json (against `expectedSha256` when given, e.g.
 * TrainingCompleted.artifactSha256) and of every file it lists. Any mismatch,
 * missing file or malformed manifest is VALIDATION naming every problem; a store
 * that cannot be reached keeps its own (retriable) error.
 */
export async function verifyArtifact(store: ArtifactStore, dirUri: string, expectedSha256?: string | null): Promise<WrittenArtifact> {
  const bytes = await readOrProblem(store, dirUri, ARTIFACT_FILES.manifest);
  if (bytes === null) throw invalid([`${ARTIFACT_FILES.manifest}: missing from ${dirUri}`], dirUri);
  const manifestSha256 = sha256Hex(bytes);
  const problems: string[] = [];
  if (expectedSha256 && expectedSha256 !== manifestSha256) problems.push(`${ARTIFACT_FILES.manifest}: sha256 ${manifestSha256}, expected ${expectedSha256}`);
  const manifest = parseManifest(bytes);
  for (const f of manifest.files) {
    const data = await readOrProblem(store, dirUri, f.name);
    if (data === null) {
      problems.push(`${f.name}: missing`);
      continue;
    }
    const actual = sha256Hex(data);
    if (actual !== f.sha256) problems.push(`${f.name}: sha256 ${actual}, manifest says ${f.sha256}`);
    if (data.length !== f.bytes) problems.push(`${f.name}: ${data.length} bytes, manifest says ${f.bytes}`);
  }
  if (problems.length > 0) throw invalid(problems, dirUri);
  return { manifest, manifestSha256 };
}

async function readOrProblem(store: ArtifactStore, dirUri: string, name: string): Promise<Buffer | null> {
  try {
    return await store.readFile(dirUri, name);
  } catch (error) {
    if (errorCode(error) === ErrorCodes.NOT_FOUND) return null;
    throw error;
  }
}

function invalid(problems: readonly string[], dirUri?: string): RoundhouseError {
  return new RoundhouseError(ErrorCodes.VALIDATION, `artifact${dirUri ? ` ${dirUri}` : ''} does not verify:\n  ${problems.join('\n  ')}`, {
    retriable: false,
    context: { dirUri, problems: problems.length },
  });
}
