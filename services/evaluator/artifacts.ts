import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { z } from 'zod';
import { ARTIFACT_FILES, type ArtifactStore, type Manifest } from '../../lib/artifacts';
import { integrityError } from '../../lib/artifacts/errors';
import { readListed, readManifest } from '../../lib/artifacts/manifest';
import { ErrorCodes, RoundhouseError, errorCode, errorMessage, isRetriable } from '../../lib/errors';
import type { GateResult, ModelMetrics, ModelReady, TrainingCompleted } from '../../lib/events';
import { MODEL_FORMAT, parseModel, type LogisticModel, type Row } from '../../lib/model';
import type { Holdout } from './core/rescore';

/**
 * Reading artifacts for an evaluation. Every file is checked against the
 * artifact's manifest.json (lib/artifacts/manifest), whose own sha256 the event
 * carries: a promoted model is exactly the bytes the trainer wrote. Unlike
 * verifyArtifact, files are verified as they are read, so each is read once. Infrastructure faults
 * (retriable) propagate so the consumer backs off; anything else is a fact
 * about the artifact and ends up in the evaluation (a failed integrity gate, or
 * REPORTED mode with the reason logged and counted).
 */

const gunzipAsync = promisify(gunzip);
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
  /** The file's bytes, checked against the manifest; NOT_FOUND-free: a listed file that is absent is an integrity error. */
  read(name: string): Promise<Buffer>;
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
    read: async (name) => {
      const entry = entries.get(name);
      if (entry === undefined) throw integrityError(`${dirUri}${name}`, 'not listed in the manifest');
      try {
        return await readListed(store, dirUri, entry);
      } catch (error) {
        throw explain(error, `${dirUri}${name}`);
      }
    },
  };
}

/**
 * holdout.jsonl.gz: one JSON object per line. The built-in trainer writes
 * `{"eventId", "eventTime", "label": 0|1, "record": {...the feature record...}}`
 * (services/trainer/holdout.ts); `features` is accepted for `record`, and a flat
 * row holding the features and the label under the catalog's label field (or
 * "label") is accepted from custom trainers. Labels are 0/1 or booleans.
 */
export async function parseHoldout(gzipped: Buffer, labelField: string): Promise<Holdout> {
  const text = (await gunzipAsync(gzipped)).toString('utf8');
  const rows: Row[] = [];
  const labels: number[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.trim() === '') continue;
    const bad = (why: string): RoundhouseError =>
      new RoundhouseError(ErrorCodes.VALIDATION, `holdout line ${lineNo}: ${why}`, { retriable: false, context: { line: lineNo } });
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw bad('not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not a JSON object');
    const record = value as Record<string, unknown>;
    const inner = record.record ?? record.features;
    const nested = typeof inner === 'object' && inner !== null && !Array.isArray(inner);
    const row = nested ? (inner as Row) : record;
    const label = nested ? (record.label ?? record[labelField]) : (record[labelField] ?? record.label);
    if (label === 1 || label === true) labels.push(1);
    else if (label === 0 || label === false) labels.push(0);
    else throw bad(`label is ${JSON.stringify(label)}; expected 0, 1, true or false`);
    rows.push(row);
  }
  return { rows, labels: Uint8Array.from(labels) };
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
  /** Passed when the manifest and every file read match their digests (and a scorable model parses). */
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

export async function loadCandidate(store: ArtifactStore, completed: TrainingCompleted, labelField: string): Promise<CandidateArtifact> {
  const problems: LoadProblem[] = [];
  let reported: ModelMetrics | null = completed.metrics;
  const failed = (detail: string): CandidateArtifact => ({ integrity: integrityGate(false, detail), model: null, holdout: null, reported, problems });
  if (completed.artifactUri === null || completed.artifactSha256 === null) return failed('the result names no artifact');

  let artifact: VerifiedArtifact;
  let model: LogisticModel | null = null;
  try {
    artifact = await openVerified(store, completed.artifactUri, completed.artifactSha256);
    if (completed.modelFormat === MODEL_FORMAT) model = parseModel((await artifact.read(ARTIFACT_FILES.model)).toString('utf8'));
  } catch (error) {
    if (isRetriable(error)) throw error;
    problems.push(problemOf('candidate-artifact', error));
    return failed(errorMessage(error));
  }

  if (reported === null && artifact.has(ARTIFACT_FILES.metrics)) {
    try {
      reported = MetricsShape.parse(JSON.parse((await artifact.read(ARTIFACT_FILES.metrics)).toString('utf8')));
    } catch (error) {
      if (isRetriable(error)) throw error;
      problems.push(problemOf('candidate-artifact', error));
    }
  }

  let holdout: Holdout | null = null;
  try {
    const uri = completed.holdoutUri;
    let bytes: Buffer | null = null;
    if (uri !== null && !uri.startsWith(artifact.dirUri)) {
      // Exported outside the artifact directory: not covered by the manifest.
      const slash = uri.lastIndexOf('/');
      bytes = await store.readFile(uri.slice(0, slash + 1), uri.slice(slash + 1));
    } else {
      const name = uri === null ? ARTIFACT_FILES.holdout : uri.slice(artifact.dirUri.length);
      if (artifact.has(name)) bytes = await artifact.read(name);
    }
    if (bytes !== null) holdout = await parseHoldout(bytes, labelField);
  } catch (error) {
    if (isRetriable(error)) throw error;
    problems.push(problemOf('holdout', error));
  }
  return { integrity: integrityGate(true, `manifest ${completed.artifactSha256.slice(0, 12)}… verified`), model, holdout, reported, problems };
}

/** The champion's model when it is in a format we score; null otherwise. Non-retriable errors mean "cannot rescore". */
export async function loadChampionModel(store: ArtifactStore, champion: ModelReady): Promise<LogisticModel | null> {
  if (champion.modelFormat !== MODEL_FORMAT) return null;
  const artifact = await openVerified(store, champion.artifactUri, champion.artifactSha256);
  return parseModel((await artifact.read(ARTIFACT_FILES.model)).toString('utf8'));
}
