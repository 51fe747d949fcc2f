/**
 * Artifacts: the directory a training run writes (model, profile, metrics,
 * holdout rows, manifest) behind an interface of ours, so file://, s3:// or an
 * in-memory fake are interchangeable. A directory is named by a URI ending in "/".
 *
 * Guarantees every implementation keeps (lib/artifacts/paths.ts):
 * - a file name is a plain name and a directory never climbs with ".." (VALIDATION);
 * - every path stays inside the store's root: an s3:// key under its prefix, a
 *   file:// path inside its directory as written and with links resolved, and
 *   only regular files are read (VALIDATION otherwise; file-store.ts);
 * - a write is all or nothing: a reader sees the old bytes or the new, never part;
 * - a read with `maxBytes` never returns, nor fetches more than a buffer beyond,
 *   that many bytes: a larger file is ARTIFACT_INTEGRITY (not retriable);
 * - an absent file is NOT_FOUND (not retriable); an unreachable store is
 *   STORAGE_UNAVAILABLE, retriable unless retrying cannot help (permissions).
 * Publication order (data first, manifest.json last) is writeArtifact's job
 * (manifest.ts), verification on read is readListed's.
 */
export interface ArtifactStore {
  /** Write (or overwrite) one file of an artifact directory. */
  writeFile(dirUri: string, name: string, data: Buffer): Promise<void>;
  /** Read one file; throws RoundhouseError NOT_FOUND (not retriable) when absent. */
  readFile(dirUri: string, name: string, options?: ReadOptions): Promise<Buffer>;
  exists(dirUri: string, name: string): Promise<boolean>;
}

export interface ReadOptions {
  /** Refuse (ARTIFACT_INTEGRITY) a file larger than this instead of reading it all. */
  readonly maxBytes?: number;
}

/** File names inside an artifact directory (docs/trainer-contract.md). */
export const ARTIFACT_FILES = {
  model: 'model.json',
  profile: 'profile.json',
  metrics: 'metrics.json',
  /** The holdout rows (features, label, event time), gzipped JSON lines: the evaluator rescores champion and candidate on them. */
  holdout: 'holdout.jsonl.gz',
  manifest: 'manifest.json',
} as const;

export interface ManifestFile {
  readonly name: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** manifest.json: what the run wrote and from what; TrainingCompleted.artifactSha256 is the sha256 of this file. */
export interface Manifest {
  readonly version: 1;
  readonly runId: string;
  readonly modelId: string;
  readonly modelFormat: string;
  readonly files: readonly ManifestFile[];
  readonly dataWindow: {
    readonly startTime: number;
    readonly endTime: number;
    readonly partitions: readonly { topic: string; partition: number; startOffset: number; endOffset: number }[];
  };
  readonly rows: number;
  readonly positives: number;
  /** sha256 of the joined row set (services/trainer/core/join.ts rowSetDigest); absent for trainers that do not report it. */
  readonly rowsSha256?: string;
  /** Trainer name and version (e.g. roundhouse-trainer 0.1.0, or a custom image's). */
  readonly codeVersion: string;
  readonly createdAt: number;
}
