/**
 * Load the catalog once at start-up: YAML → merge defaults → validate → Catalog.
 * Every problem in the file (syntax and schema alike) comes back in one
 * CATALOG_INVALID error, each with its path and line; see catalogProblems(err).
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { errorMessage } from '../errors';
import { buildCatalog } from './build';
import { inheritedPath, mergeDefaults } from './defaults';
import { catalogInvalid, formatPath, type CatalogProblem, type PathSegment } from './problems';
import { CatalogFileSchema } from './schema';
import type { Catalog } from './types';
import { readYaml, type YamlSource } from './yaml-source';

export function loadCatalog(path: string): Catalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw catalogInvalid(path, [{ path: '', message: `cannot read the catalog: ${errorMessage(err)}` }], err);
  }
  return parseCatalog(text, path);
}

export function parseCatalog(text: string, sourceName: string): Catalog {
  const source = readYaml(text);
  if (source.unreadable) throw catalogInvalid(sourceName, inFileOrder(source.problems));
  const result = CatalogFileSchema.safeParse(mergeDefaults(source.value), { error: plainMessage });
  const schemaProblems = result.success ? [] : issuesToProblems(result.error.issues, source);
  const problems = inFileOrder(unique([...source.problems, ...schemaProblems]));
  if (problems.length > 0 || !result.success) throw catalogInvalid(sourceName, problems);
  return buildCatalog(result.data);
}

function issuesToProblems(issues: readonly z.core.$ZodIssue[], source: YamlSource): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  const add = (issuePath: readonly PropertyKey[], message: string): void => {
    const own = issuePath.filter((s): s is PathSegment => typeof s === 'string' || typeof s === 'number');
    // A mistake inherited from `defaults` is reported once, where it was written.
    const path = inheritedPath(source.value, own) ?? own;
    problems.push({ path: formatPath(path), ...source.locate(path), message });
  };
  for (const issue of issues) {
    // zod reports all unknown keys of an object as one issue; each is its own mistake.
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) add([...issue.path, key], `unknown key "${key}"`);
    // A bad record key carries its reasons inside; zod's own message is just "Invalid key in record".
    else if (issue.code === 'invalid_key') add(issue.path, issue.issues.map((inner) => inner.message).join('; '));
    else add(issue.path, issue.message);
  }
  return problems;
}

function unique(problems: readonly CatalogProblem[]): CatalogProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function inFileOrder(problems: readonly CatalogProblem[]): CatalogProblem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return JSON.stringify(value) ?? String(value);
}

/** Plainer wording for zod's generic messages; schema-specific messages take precedence over this. */
function plainMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      if (issue.expected === 'int' && typeof issue.input === 'number') return `must be a whole number, got ${issue.input}`;
      return `expected ${issue.expected === 'record' ? 'a map' : issue.expected === 'array' ? 'a list' : issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'string') return `must be at least ${String(issue.minimum)} character(s) long`;
      return issue.origin === 'array' ? `needs at least ${String(issue.minimum)} item(s)` : `must be ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}, got ${describeValue(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters long`;
      return issue.origin === 'array' ? `allows at most ${String(issue.maximum)} item(s)` : `must be ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}, got ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
}
