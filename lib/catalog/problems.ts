/**
 * A catalog problem: where (path, line, column) and what. All of a file's problems
 * travel together in one CATALOG_INVALID error, so an operator fixes them in one go.
 */
import { ErrorCodes, isRoundhouseError, RoundhouseError } from '../errors';

export interface CatalogProblem {
  /** Like models[0].triggers.drift.window.size; "" for the document itself. */
  readonly path: string;
  /** 1-based, when the path (or its nearest written ancestor) is in the file. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** ["models", 0, "env", "a.b"] → models[0].env["a.b"] */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

export function formatProblem(sourceName: string, problem: CatalogProblem): string {
  const where = problem.line === undefined ? sourceName : `${sourceName}:${problem.line}:${problem.column ?? 1}`;
  return `${where} ${problem.path === '' ? '(document)' : problem.path}: ${problem.message}`;
}

/** One error for the whole file; its message lists every problem on its own line. */
export function catalogInvalid(sourceName: string, problems: readonly CatalogProblem[], cause?: unknown): RoundhouseError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((p) => formatProblem(sourceName, p));
  const error = new RoundhouseError(ErrorCodes.CATALOG_INVALID, [`catalog ${sourceName} is invalid (${count}):`, ...lines].join('\n'), {
    context: { source: sourceName, problems: problems.length },
    cause,
  });
  Object.defineProperty(error, 'problems', { value: Object.freeze(problems.map((p) => Object.freeze({ ...p }))), enumerable: true });
  return error;
}

/** The problems carried by a CATALOG_INVALID error; [] for anything else. */
export function catalogProblems(err: unknown): readonly CatalogProblem[] {
  if (!isRoundhouseError(err) || err.code !== ErrorCodes.CATALOG_INVALID) return [];
  const problems = (err as { problems?: unknown }).problems;
  return Array.isArray(problems) ? (problems as CatalogProblem[]) : [];
}
