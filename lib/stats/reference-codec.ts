import { ErrorCodes, RoundhouseError } from '../errors';
import { validateEdges } from './numeric-histogram';
import { type CategoricalReference, type FeatureReference, type NumericReference } from './types';

/**
 * Decodes a reference profile that arrived from outside (a ModelReady event, a
 * checkpoint) into a FeatureReference, reporting every problem with its path.
 * Shares may drift from summing to exactly 1 by rounding; 1e-6 is allowed.
 */
export function parseFeatureReference(value: unknown, path = 'reference'): FeatureReference {
  const problems: string[] = [];
  const ref = parse(value, path, problems);
  if (problems.length > 0 || ref === null) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `invalid reference profile: ${problems.join('; ')}`, {
      context: { path, problems: problems.length },
    });
  }
  return ref;
}

const SUM_TOLERANCE = 1e-6;

function parse(value: unknown, path: string, problems: string[]): FeatureReference | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${path}: expected an object`);
    return null;
  }
  const v = value as Record<string, unknown>;
  const count = nonNegativeInteger(v.count, `${path}.count`, problems);
  const missingShare = share(v.missingShare, `${path}.missingShare`, problems);
  if (v.kind === 'numeric') {
    const edges = numbers(v.edges, `${path}.edges`, problems);
    try {
      validateEdges(edges);
    } catch (err) {
      problems.push(`${path}.edges: ${err instanceof Error ? err.message : String(err)}`);
    }
    const proportions = numbers(v.proportions, `${path}.proportions`, problems);
    const binMeans = numbers(v.binMeans, `${path}.binMeans`, problems);
    if (proportions.length !== edges.length + 1) problems.push(`${path}.proportions: expected ${edges.length + 1} entries`);
    if (binMeans.length !== edges.length + 1) problems.push(`${path}.binMeans: expected ${edges.length + 1} entries`);
    proportions.forEach((p, i) => {
      if (!(p >= 0 && p <= 1)) problems.push(`${path}.proportions[${i}]: must be in [0, 1]`);
    });
    checkSum(proportions, `${path}.proportions`, problems);
    const nanShare = share(v.nanShare, `${path}.nanShare`, problems);
    const mean = finite(v.mean, `${path}.mean`, problems);
    const std = finite(v.std, `${path}.std`, problems);
    if (std < 0) problems.push(`${path}.std: must be >= 0`);
    const numeric: NumericReference = { kind: 'numeric', edges, proportions, binMeans, count, missingShare, nanShare, mean, std };
    return numeric;
  }
  if (v.kind === 'categorical') {
    const raw = v.categories;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${path}.categories: expected an object of shares`);
      return null;
    }
    const entries = Object.entries(raw as Record<string, unknown>).map(
      ([name, s]) => [name, share(s, `${path}.categories[${JSON.stringify(name)}]`, problems)] as const,
    );
    checkSum(
      entries.map(([, s]) => s),
      `${path}.categories`,
      problems,
    );
    const categorical: CategoricalReference = { kind: 'categorical', categories: Object.fromEntries(entries), count, missingShare };
    return categorical;
  }
  problems.push(`${path}.kind: expected "numeric" or "categorical"`);
  return null;
}

function checkSum(shares: number[], path: string, problems: string[]): void {
  const sum = shares.reduce((s, x) => s + x, 0);
  if (shares.length > 0 && sum !== 0 && Math.abs(sum - 1) > SUM_TOLERANCE) problems.push(`${path}: shares sum to ${sum}, not 1`);
}

function finite(value: unknown, path: string, problems: string[]): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    problems.push(`${path}: expected a finite number`);
    return 0;
  }
  return value;
}

function share(value: unknown, path: string, problems: string[]): number {
  const n = finite(value, path, problems);
  if (n < 0 || n > 1) problems.push(`${path}: must be in [0, 1]`);
  return n;
}

function nonNegativeInteger(value: unknown, path: string, problems: string[]): number {
  const n = finite(value, path, problems);
  if (n < 0 || !Number.isInteger(n)) problems.push(`${path}: must be a non-negative integer`);
  return n;
}

function numbers(value: unknown, path: string, problems: string[]): number[] {
  if (!Array.isArray(value)) {
    problems.push(`${path}: expected an array of numbers`);
    return [];
  }
  return value.map((x, i) => finite(x, `${path}[${i}]`, problems));
}
