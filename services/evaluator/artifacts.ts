import { z } from 'zod';
import { ARTIFACT_FILES, type ArtifactStore, type Manifest } from '../../lib/artifacts';
import { integrityError } from '../../lib/artifacts/errors';
import { readListed, readManifest } from '../../lib/artifacts/manifest';
import { ErrorCodes, errorCode, errorMessage, isRetriable, isRoundhouseError } from '../../lib/errors';
import type { GateResult, ModelMetrics, ModelReady, TrainingCompleted } from '../../lib/events';
import { MODEL_FORMAT, parseModel, type LogisticModel } from '../../lib/model';
import type { Holdout } from './core/rescore';
import { parseHoldout } from './holdout';
import { DEFAULT_ARTIFACT_LIMITS, type ArtifactLimits } from './limits';

/**
 * Reading artifacts for an evaluation. Every file is checked against the
 * artifact's manifest.json (lib/artifacts/manifest), whose own sha256 the event
 * carries: a promoted model is exactly the bytes the trainer wrote. Unlike
 * verifyArtifact, files are verified as they are read, so each is read once. Infrastructure faults
 * (retriable) propagate so the consumer backs off; anything else is a fact
 * about the artifact and ends up in the evaluation: ARTIFACT_INTEGRITY (a
 * digest or size mismatch, a file or holdout past its bound in limits.ts, a
 * holdout outside the verified directory) fails the integrity gate; a holdout
 * that does not parse gives REPORTED mode with the reason logged and counted.
 */

const dirOf = (uri: string): string => (uri.endsWith('/') ? uri : `${uri}/`);

export const INTEGRITY_GATE = 'artifact-integrity';

/**
 * What a non-retriable read failure means for an evaluation: the store's own
 * integrity and not-published errors are kept as they are; an absent listed
 * file and a malformed manifest become ARTIFACT_INTEGRITY naming the object.
 */
function explain(error: unknown, objectUri: string): unknown {
  const code = errorCode(error);
  if (isRetriable(error) || code === ErrorCodes.ARTIFACT_INTEGRITY) return error;
  if (code === ErrorCodes.NOT_FOUND && !objectUri.endsWith(`/${ARTIFACT_FILES.manifest}`)) return integrityError(objectUri, 'listed in the manifest but missing');
  if (code === ErrorCodes.VALIDATION && objectUri.endsWith(`/${ARTIFACT_FILES.manifest}`)) return integrityError(objectUri, `not a manifest: ${errorMessage(error)}`);
  return error;
}

export interface VerifiedArtifact {
  readonly dirUri: string;
  has(name: string): boolean;
  /**
   * The file's bytes, checked against the manifest; NOT_FOUND-free: a listed
   * file that is absent is an integrity error. `bound` caps what the manifest
   * may list: a larger entry is refused, naming the setting, before anything is read.
   */
  read(name: string, bound?: FileBound): Promise<Buffer>;
}

export interface FileBound {
  readonly maxBytes: number;
  /** What to raise if the file is genuine (an EVALUATOR_* setting), for the message. */
  readonly setting: string | null;
}

/**
 * Opens an artifact directory whose manifest.json must hash to `manifestSha256`.
 * No manifest: NOT_FOUND (not published). Each file is read no further than
 * its manifest size, and refused (ARTIFACT_INTEGRITY, naming it) unless its
 * size and sha256 match.
 */
export async function openVerified(store: ArtifactStore, artifactUri: string, manifestSha256: string): Promise<VerifiedArtifact> {
  const dirUri = dirOf(artifactUri);
  let manifest: Manifest;
  try {
    ({ manifest } = await readManifest(store, dirUri, manifestSha256));
  } catch (error) {
    throw explain(error, `${dirUri}${ARTIFACT_FILES.manifest}`);
  }
  const entries = new Map(manifest.files.map((f) => [f.name, f]));
  return {
    dirUri,
    has: (name) => entries.has(name),
    read: async (name, bound) => {
      const entry = entries.get(name);
      if (entry === undefined) throw integrityError(`${dirUri}${name}`, 'not listed in the manifest');
      if (bound !== undefined && entry.bytes > bound.maxBytes) {
        const raise = bound.setting === null ? '' : ` (raise ${bound.setting} if it is genuine)`;
        throw integrityError(`${dirUri}${name}`, `the manifest lists ${entry.bytes} bytes, more than the ${bound.maxBytes} allowed; not read${raise}`, { maxBytes: bound.maxBytes });
      }
      try {
        return await readListed(store, dirUri, entry);
      } catch (error) {
        throw explain(error, `${dirUri}${name}`);
      }
    },
  };
}

const finite = z.number().refine(Number.isFinite);
const MetricsShape = z.object({
  rocAuc: finite,
  prAuc: finite,
  logLoss: finite,
  brier: finite,
  recallAt1PctFpr: finite,
  precisionAtK: finite,
  k: z.number().int().min(0),
  expectedCalibrationError: finite,
  rows: z.number().int().min(0),
  positives: z.number().int().min(0),
  extra: z.record(z.string(), finite).default({}),
});

export interface LoadProblem {
  readonly stage: 'candidate-artifact' | 'holdout' | 'champion-artifact' | 'rescore';
  readonly code: string;
  readonly message: string;
}

export interface CandidateArtifact {
  /**
   * Passed when the manifest and every file read match their digests, stay
   * within limits.ts's bounds and lie inside the verified directory (and a
   * scorable model parses).
   */
  readonly integrity: GateResult;
  /** The parsed model; null when its format is not one we score or integrity failed. */
  readonly model: LogisticModel | null;
  /** The holdout rows; null when not exported or unreadable (see problems). */
  readonly holdout: Holdout | null;
  /** The trainer's metrics: the event's, else metrics.json's; null when neither is usable. */
  readonly reported: ModelMetrics | null;
  readonly problems: readonly LoadProblem[];
}

function integrityGate(passed: boolean, detail: string): GateResult {
  return { gate: INTEGRITY_GATE, metric: 'manifestVerified', comparator: 'GTE', threshold: 1, observed: passed ? 1 : 0, passed, detail };
}

const problemOf = (stage: LoadProblem['stage'], error: unknown): LoadProblem => ({ stage, code: errorCode(error), message: errorMessage(error) });

/** metrics.json holds one ModelMetrics record. */
const MAX_METRICS_BYTES = 1024 * 1024;

/** model.json, bounded in bytes and columns (limits.ts). */
async function readModel(artifact: VerifiedArtifact, limits: ArtifactLimits): Promise<LogisticModel> {
  const text = (await artifact.read(ARTIFACT_FILES.model, { maxBytes: limits.maxModelBytes, setting: 'EVALUATOR_MAX_MODEL_MB' })).toString('utf8');
  try {
    return parseModel(text, { maxColumns: limits.maxModelColumns });
  } catch (error) {
    // Past a bound is ARTIFACT_INTEGRITY, as a file past its size is; a model that does not parse stays VALIDATION.
    if (!isRoundhouseError(error) || error.context.limit !== 'maxColumns') throw error;
    throw integrityError(`${artifact.dirUri}${ARTIFACT_FILES.model}`, `${errorMessage(error)} (raise EVALUATOR_MAX_MODEL_COLUMNS if it is genuine)`, { maxColumns: limits.maxModelColumns });
  }
}

/**
 * The holdout's bytes: the event's holdoutUri must name a file of the verified
 * directory (a file:///dev/zero was read until memory ran out); null when the
 * run exported none.
 */
async function readHoldout(artifact: VerifiedArtifact, holdoutUri: string | null, limits: ArtifactLimits): Promise<{ bytes: Buffer; uri: string } | null> {
  const name = holdoutUri === null ? ARTIFACT_FILES.holdout : holdoutUri.startsWith(artifact.dirUri) ? holdoutUri.slice(artifact.dirUri.length) : null;
  if (name === null || name === '' || name.includes('/')) {
    throw integrityError(holdoutUri ?? '(null)', `the holdout is outside the verified artifact directory ${artifact.dirUri}; not read`);
  }
  if (!artifact.has(name)) return null;
  const uri = `${artifact.dirUri}${name}`;
  try {
    return { bytes: await artifact.read(name, { maxBytes: limits.maxFileBytes, setting: 'EVALUATOR_MAX_FILE_MB' }), uri };
  } catch (error) {
    // The store refusing the file (a link out of its root, a device, a FIFO) is a fact about the artifact too.
    if (errorCode(error) !== ErrorCodes.VALIDATION) throw error;
    throw integrityError(uri, `refused by the artifact store: ${errorMessage(error)}`);
  }
}

export async function loadCandidate(store: ArtifactStore, completed: TrainingCompleted, labelField: string, limits: ArtifactLimits = DEFAULT_ARTIFACT_LIMITS): Promise<CandidateArtifact> {
  const problems: LoadProblem[] = [];
  let reported: ModelMetrics | null = completed.metrics;
  const failed = (detail: string): CandidateArtifact => ({ integrity: integrityGate(false, detail), model: null, holdout: null, reported, problems });
  if (completed.artifactUri === null || completed.artifactSha256 === null) return failed('the result names no artifact');

  let artifact: VerifiedArtifact;
  let model: LogisticModel | null = null;
  try {
    artifact = await openVerified(store, completed.artifactUri, completed.artifactSha256);
    if (completed.modelFormat === MODEL_FORMAT) model = await readModel(artifact, limits);
  } catch (error) {
    if (isRetriable(error)) throw error;
    problems.push(problemOf('candidate-artifact', error));
    return failed(errorMessage(error));
  }

  if (reported === null && artifact.has(ARTIFACT_FILES.metrics)) {
    try {
      reported = MetricsShape.parse(JSON.parse((await artifact.read(ARTIFACT_FILES.metrics, { maxBytes: MAX_METRICS_BYTES, setting: null })).toString('utf8')));
    } catch (error) {
      if (isRetriable(error)) throw error;
      problems.push(problemOf('candidate-artifact', error));
    }
  }

  let holdout: Holdout | null = null;
  try {
    const file = await readHoldout(artifact, completed.holdoutUri, limits);
    if (file !== null) holdout = await parseHoldout(file.bytes, labelField, limits, file.uri);
  } catch (error) {
    if (isRetriable(error)) throw error;
    problems.push(problemOf('holdout', error));
    // Past a bound, outside the artifact, or not what the manifest says: the candidate fails, it is not judged on its own word.
    if (errorCode(error) === ErrorCodes.ARTIFACT_INTEGRITY) return failed(errorMessage(error));
  }
  return { integrity: integrityGate(true, `manifest ${completed.artifactSha256.slice(0, 12)}… verified`), model, holdout, reported, problems };
}

/** The champion's model when it is in a format we score; null otherwise. Non-retriable errors mean "cannot rescore". */
export async function loadChampionModel(store: ArtifactStore, champion: ModelReady, limits: ArtifactLimits = DEFAULT_ARTIFACT_LIMITS): Promise<LogisticModel | null> {
  if (champion.modelFormat !== MODEL_FORMAT) return null;
  const artifact = await openVerified(store, champion.artifactUri, champion.artifactSha256);
  return readModel(artifact, limits);
}
