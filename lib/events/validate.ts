/**
 * A schema-driven structural check: compiled once from an avsc Type, it walks a
 * value (what avsc decoded, or a JSON-ish object from an HTTP body) and returns
 * a fresh plain copy holding only the schema's fields, or every problem found,
 * each with its field path. Driving it from the schema (not hand-written per
 * event) is what keeps it in step with the .avsc files and the generated types.
 *
 * Tolerant-reader rules: extra fields are dropped; a missing field takes its
 * schema default if it has one (as an Avro reader would), else is an error;
 * null is accepted only where the schema says ["null", T].
 */
import type * as avsc from 'avsc';

export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** Extra, record-level checks the schema cannot express (e.g. end >= start). */
export type Refinement = (record: Readonly<Record<string, unknown>>) => readonly Problem[];

/** Refinements by record full name (e.g. 'dev.roundhouse.events.DataWindow'); paths are relative to the record. */
export type Refinements = Readonly<Record<string, Refinement>>;

type Check = (value: unknown, path: string, problems: Problem[]) => unknown;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function primitive(expected: string, ok: (v: unknown) => boolean): Check {
  return (value, path, problems) => {
    if (!ok(value)) problems.push({ path, message: `expected ${expected}, got ${describe(value)}` });
    return value;
  };
}

interface FieldLike {
  readonly name: string;
  readonly type: avsc.Type;
  defaultValue(): unknown;
}

/** Compile a checker for `type`. Throws for schema constructs the platform does not use. */
export function compileValidator(
  type: avsc.Type,
  refinements: Refinements = {},
): (value: unknown) => { readonly value: unknown; readonly problems: readonly Problem[] } {
  const compiled = new Map<avsc.Type, Check>();

  const compile = (t: avsc.Type): Check => {
    const cached = compiled.get(t);
    if (cached) return cached;
    // Placeholder first, so a recursive record refers to its own checker.
    let check: Check = (v, p, probs) => (compiled.get(t) as Check)(v, p, probs);
    compiled.set(t, check);
    check = build(t);
    compiled.set(t, check);
    return check;
  };

  const build = (t: avsc.Type): Check => {
    const name = t.typeName;
    switch (name) {
      case 'null':
        return primitive('null', (v) => v === null);
      case 'boolean':
        return primitive('boolean', (v) => typeof v === 'boolean');
      case 'int':
        return primitive('int', (v) => Number.isInteger(v) && (v as number) >= INT_MIN && (v as number) <= INT_MAX);
      case 'long':
        return primitive('long (safe integer)', (v) => Number.isSafeInteger(v));
      case 'float':
      case 'double':
        return primitive(name, (v) => typeof v === 'number');
      case 'string':
        return primitive('string', (v) => typeof v === 'string');
      case 'enum': {
        const symbols = (t as avsc.types.EnumType).symbols;
        return primitive(`one of ${symbols.join('|')}`, (v) => typeof v === 'string' && symbols.includes(v));
      }
      case 'array': {
        const items = compile((t as avsc.types.ArrayType).itemsType);
        return (value, path, problems) => {
          if (!Array.isArray(value)) {
            problems.push({ path, message: `expected array, got ${describe(value)}` });
            return value;
          }
          return value.map((item, i) => items(item, `${path}[${i}]`, problems));
        };
      }
      case 'map': {
        const values = compile((t as avsc.types.MapType).valuesType as avsc.Type);
        return (value, path, problems) => {
          if (!isPlainObject(value)) {
            problems.push({ path, message: `expected map, got ${describe(value)}` });
            return value;
          }
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(value)) out[k] = values(v, `${path}[${JSON.stringify(k)}]`, problems);
          return out;
        };
      }
      case 'union:unwrapped': {
        const branches = (t as avsc.types.UnwrappedUnionType).types;
        const [first, second] = branches;
        if (branches.length !== 2 || first?.typeName !== 'null' || second === undefined) {
          throw new Error(`unsupported union ${JSON.stringify(t.schema())}: only ["null", T]`);
        }
        const inner = compile(second);
        return (value, path, problems) => (value === null ? null : inner(value, path, problems));
      }
      case 'record':
        return buildRecord(t as avsc.types.RecordType);
      default:
        if (name.startsWith('logical:')) return compile((t as avsc.types.LogicalType).underlyingType);
        throw new Error(`unsupported Avro type ${name}`);
    }
  };

  const buildRecord = (t: avsc.types.RecordType): Check => {
    const fields = (t.fields as unknown as FieldLike[]).map((f) => ({
      name: f.name,
      check: compile(f.type),
      defaultValue: () => f.defaultValue(),
    }));
    const refine = t.name === undefined ? undefined : refinements[t.name];
    const recordName = (t.name ?? 'record').slice((t.name ?? '').lastIndexOf('.') + 1);
    return (value, path, problems) => {
      if (!isPlainObject(value)) {
        problems.push({ path, message: `expected record ${recordName}, got ${describe(value)}` });
        return value;
      }
      const out: Record<string, unknown> = {};
      const before = problems.length;
      for (const field of fields) {
        const fieldPath = join(path, field.name);
        const raw = value[field.name];
        if (raw === undefined) {
          const fallback = field.defaultValue();
          if (fallback === undefined) problems.push({ path: fieldPath, message: 'missing' });
          else out[field.name] = fallback;
          continue;
        }
        out[field.name] = field.check(raw, fieldPath, problems);
      }
      // Refinements assume a well-typed record, so they run only when it is one.
      if (refine && problems.length === before) {
        for (const p of refine(out)) problems.push({ path: join(path, p.path), message: p.message });
      }
      return out;
    };
  };

  const root = compile(type);
  return (value) => {
    const problems: Problem[] = [];
    const out = root(value, '', problems);
    return { value: out, problems };
  };
}
