import { z } from 'zod';
import type { ModelSpec } from '../catalog';
import { ErrorCodes, RoundhouseError } from '../errors';
import type { DataWindow, RetrainReason } from '../events';

/**
 * The run spec: everything a trainer needs to know about one training run,
 * handed over by the dispatcher (as the ROUNDHOUSE_RUN_SPEC environment variable,
 * or a file named by ROUNDHOUSE_RUN_SPEC_FILE). Connection settings (Kafka,
 * registry) are NOT in it: they come from the trainer's own environment, like any
 * service's. See docs/trainer-contract.md.
 */
export const RUN_SPEC_VERSION = 1;
export const RUN_SPEC_ENV = 'ROUNDHOUSE_RUN_SPEC';
export const RUN_SPEC_FILE_ENV = 'ROUNDHOUSE_RUN_SPEC_FILE';

export interface RunSpec {
  readonly version: typeof RUN_SPEC_VERSION;
  readonly runId: string;
  readonly requestId: string;
  readonly modelId: string;
  /** The segment value for a model family member (e.g. a merchant id); null for global models. */
  readonly segment: string | null;
  readonly reason: RetrainReason;
  /** Event-time bounds; `partitions` may be empty, in which case the trainer resolves offsets from the times. */
  readonly dataWindow: DataWindow;
  /** The model's catalog entry, as loaded (durations in ms). */
  readonly model: ModelSpec;
  /** Free JSON from the catalog and the request, merged (request wins); validated by the estimator. */
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  /** Where the artifact directory goes, e.g. file:///var/roundhouse/artifacts/card-fraud/<runId>-<nonce>/ or s3://bucket/prefix/… (lib/artifacts/segment runArtifactDir). */
  readonly artifactUri: string;
  /** Seed for every random choice the trainer makes (deterministic reruns). */
  readonly seed: number;
  readonly createdAt: number;
}

/**
 * Trainer exit codes, mapped by the Job's podFailurePolicy: bad input fails the
 * Job at once (retrying cannot help), an infrastructure fault is retried within
 * backoffLimit. Any other non-zero code (a crash) counts as retriable.
 */
export const TRAINER_EXIT = {
  SUCCESS: 0,
  /** EX_DATAERR: invalid spec, no labelled data, hyperparameters the estimator refuses. */
  BAD_INPUT: 65,
  /** EX_TEMPFAIL: Kafka, registry or artifact store unavailable. */
  RETRIABLE: 75,
} as const;

const PartitionRange = z.object({
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  startOffset: z.number().int().min(0),
  endOffset: z.number().int().min(0),
});

/** Shape check of a spec read from outside; the catalog entry was validated by the dispatcher's loader. */
const RunSpecShape = z.object({
  version: z.literal(RUN_SPEC_VERSION),
  runId: z.string().min(1),
  requestId: z.string().min(1),
  modelId: z.string().min(1),
  segment: z.string().nullable(),
  reason: z.enum(['MANUAL', 'DRIFT', 'PERFORMANCE', 'VOLUME', 'AGE']),
  dataWindow: z
    .object({ startTime: z.number().int(), endTime: z.number().int(), partitions: z.array(PartitionRange) })
    .refine((w) => w.endTime > w.startTime, { message: 'endTime must be after startTime', path: ['endTime'] }),
  model: z.object({ id: z.string().min(1) }).loose(),
  hyperparameters: z.record(z.string(), z.unknown()),
  artifactUri: z.string().regex(/^(file|s3):\/\//, 'expected a file:// or s3:// URI'),
  seed: z.number().int(),
  createdAt: z.number().int(),
});

export function parseRunSpec(text: string): RunSpec {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `run spec is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = RunSpecShape.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new RoundhouseError(ErrorCodes.VALIDATION, `invalid run spec:\n  ${problems.join('\n  ')}`);
  }
  if (parsed.data.model.id !== parsed.data.modelId) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `invalid run spec:\n  model.id: ${String(parsed.data.model.id)} does not match modelId ${parsed.data.modelId}`);
  }
  return json as RunSpec;
}

export function serializeRunSpec(spec: RunSpec): string {
  return JSON.stringify(spec);
}
