/**
 * How much of an artifact the evaluator reads. A trainer image is not trusted
 * (issue 14): a 380-byte model.json declaring 3e7 hashing buckets aborted the
 * process, a 1 MB holdout.jsonl.gz expanding to 1 GiB added 2 GB of RSS, and a
 * holdoutUri of file:///dev/zero was read until the heap gave out. Each bound
 * is checked before the work it bounds: file sizes from the verified manifest
 * before a byte is read, model columns before one is named, decompressed bytes,
 * rows and columns while the holdout streams. Settings: EVALUATOR_MAX_*
 * (settings.ts, docs/evaluator.md).
 */
export interface ArtifactLimits {
  /** Any file read from an artifact other than model.json (holdout.jsonl.gz as stored, metrics.json). */
  readonly maxFileBytes: number;
  /** model.json. */
  readonly maxModelBytes: number;
  /** Columns a model's pipeline may produce: numeric + missing indicators + one-hot categories + hashing buckets. */
  readonly maxModelColumns: number;
  /** holdout.jsonl.gz once decompressed. */
  readonly maxHoldoutBytes: number;
  readonly maxHoldoutRows: number;
  /** Fields of one holdout row (its record). */
  readonly maxHoldoutColumns: number;
}

const MiB = 1024 * 1024;

/**
 * Sized for the evaluator's 1 GiB memory limit (k8s/base/evaluator.yaml): a
 * holdout at the byte bound parses into roughly twice its size of objects, next
 * to the gzipped file and two models.
 */
export const DEFAULT_ARTIFACT_LIMITS: ArtifactLimits = Object.freeze({
  maxFileBytes: 128 * MiB,
  maxModelBytes: 32 * MiB,
  maxModelColumns: 1 << 20,
  maxHoldoutBytes: 256 * MiB,
  maxHoldoutRows: 1_000_000,
  maxHoldoutColumns: 1_000,
});

/** One holdout line: a row is a few hundred bytes; a longer line is not buffered further. */
export const MAX_HOLDOUT_LINE_BYTES = MiB;
