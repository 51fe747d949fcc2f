/**
 * YAML text → plain value, syntax problems, and a way back from a path to the line
 * and column that wrote it (so schema problems point into the file).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { formatPath, type CatalogProblem, type PathSegment } from './problems';

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface YamlSource {
  readonly value: unknown;
  readonly problems: readonly CatalogProblem[];
  /** True when the text is too broken for its structure to be trusted (schema problems would be noise). */
  readonly unreadable: boolean;
  /** Position of `path`, or of its nearest ancestor written in the file. */
  locate(path: readonly PathSegment[]): Position | undefined;
}

// A repeated key leaves a well-formed document (the last value wins), so validation
// still runs and reports the file's other mistakes alongside it.
const STRUCTURE_PRESERVING = new Set(['DUPLICATE_KEY']);

export function readYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter, uniqueKeys: true });
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const problems = doc.errors.map((error): CatalogProblem => {
    const [start] = error.pos;
    const { line, column } = position(start);
    const path = pathAtOffset(doc, start);
    const message = error.code === 'DUPLICATE_KEY' ? `duplicate key "${String(path[path.length - 1])}"` : firstLine(error.message);
    return { path: formatPath(path), line, column, message };
  });
  return {
    value: doc.toJS({ maxAliasCount: 100 }) as unknown,
    problems,
    unreadable: doc.errors.some((e) => !STRUCTURE_PRESERVING.has(e.code)),
    locate: (path) => {
      const offset = offsetOf(doc, path);
      return offset === undefined ? undefined : position(offset);
    },
  };
}

/** prettyErrors appends " at line L, column C:" and a code excerpt; we print the position ourselves. */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function keyMatches(key: unknown, segment: PathSegment): boolean {
  return isScalar(key) && String(key.value) === String(segment);
}

/** Offset of the key (for map entries) or item (for list items) at `path`, else of its nearest ancestor. */
function offsetOf(doc: Document, path: readonly PathSegment[]): number | undefined {
  let node = resolve(doc, doc.contents);
  let best = (node as Node | null)?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      // The last of duplicate keys is the one toJS keeps.
      const pair = [...node.items].reverse().find((p) => keyMatches(p.key, segment));
      if (pair === undefined) break;
      best = (pair.key as Node).range?.[0] ?? best;
      node = resolve(doc, pair.value);
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = resolve(doc, node.items[segment]);
      if (item === undefined || item === null) break;
      best = (item as Node).range?.[0] ?? best;
      node = item;
    } else break;
  }
  return best;
}

/** The deepest path whose key or value spans `offset` (to name the place of a syntax error). */
function pathAtOffset(doc: Document, offset: number): PathSegment[] {
  const path: PathSegment[] = [];
  let node: unknown = doc.contents;
  const within = (n: unknown): boolean => {
    const range = (n as Node | null)?.range;
    return range !== undefined && range !== null && range[0] <= offset && offset < Math.max(range[2], range[1] + 1);
  };
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (within(p.key) || within(p.value)));
      if (pair === undefined || !isScalar(pair.key)) return path;
      path.push(String(pair.key.value));
      if (within(pair.key)) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => within(item));
      if (index === -1) return path;
      path.push(index);
      node = node.items[index];
    } else return path;
  }
}
