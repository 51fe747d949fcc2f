/**
 * Generates lib/events/types.generated.ts from the event schemas, so the
 * TypeScript types cannot drift from the .avsc files: one interface per record,
 * one string-literal union (plus a symbol list) per enum, `T | null` for
 * ["null", T] unions, Readonly<Record<string, T>> for maps, number for every
 * numeric type (long included: values stay below 2^53, timestamps are epoch ms).
 *
 *   npm run schemas:gen            write the file
 *   (scripts/gen-event-types.test.ts fails when the committed file is stale)
 */
import fs from 'node:fs';
import path from 'node:path';
import { EVENT_NAMES, PLATFORM_EVENTS } from '../lib/events/schemas';
import { fullName, type SchemaJson } from '../lib/events/inline';

export const GENERATED_TYPES_PATH = path.join(__dirname, '..', 'lib', 'events', 'types.generated.ts');

type JsonObject = { readonly [key: string]: unknown };

interface EnumDef {
  readonly kind: 'enum';
  readonly name: string;
  readonly doc: string | undefined;
  readonly symbols: readonly string[];
}

interface FieldDef {
  readonly name: string;
  readonly doc: string | undefined;
  readonly tsType: string;
}

interface RecordDef {
  readonly kind: 'record';
  readonly name: string;
  readonly doc: string | undefined;
  readonly fields: readonly FieldDef[];
}

type NamedDef = EnumDef | RecordDef;

const NUMERIC = new Set(['int', 'long', 'float', 'double']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shortName(full: string): string {
  return full.slice(full.lastIndexOf('.') + 1);
}

function docOf(node: JsonObject): string | undefined {
  return typeof node.doc === 'string' ? node.doc : undefined;
}

/** Collect named definitions (by full name) and map schema nodes to TypeScript types. */
class Collector {
  readonly defs = new Map<string, NamedDef>();

  tsType(node: unknown, namespace: string | undefined, where: string): string {
    if (typeof node === 'string') return this.reference(node, namespace, where);
    if (Array.isArray(node)) {
      const branches = node as unknown[];
      if (branches.length === 2 && branches[0] === 'null') {
        return `${this.tsType(branches[1], namespace, where)} | null`;
      }
      throw new Error(`${where}: only ["null", T] unions are supported, got ${JSON.stringify(node)}`);
    }
    if (!isObject(node)) throw new Error(`${where}: not a schema`);
    switch (node.type) {
      case 'record':
      case 'enum':
        return shortName(this.define(node, namespace, where));
      case 'array':
        return `readonly ${this.wrap(this.tsType(node.items, namespace, `${where}[]`))}[]`;
      case 'map':
        return `Readonly<Record<string, ${this.tsType(node.values, namespace, `${where}{}`)}>>`;
      default:
        // Primitive in object form, logical types included: the underlying type decides.
        return this.tsType(node.type, namespace, where);
    }
  }

  private wrap(t: string): string {
    return t.includes(' ') ? `(${t})` : t;
  }

  private reference(name: string, namespace: string | undefined, where: string): string {
    if (name === 'null') return 'null';
    if (name === 'boolean') return 'boolean';
    if (name === 'string') return 'string';
    if (NUMERIC.has(name)) return 'number';
    if (name === 'bytes') return 'Buffer';
    const full = fullName(name, namespace);
    if (!this.defs.has(full)) throw new Error(`${where}: reference to undefined type ${full}`);
    return shortName(full);
  }

  private define(node: JsonObject, namespace: string | undefined, where: string): string {
    const ns = typeof node.namespace === 'string' ? node.namespace : namespace;
    const full = fullName(String(node.name), ns);
    const first = !this.defs.has(full);
    if (first) {
      const clash = [...this.defs.keys()].find((k) => shortName(k) === shortName(full));
      if (clash !== undefined) throw new Error(`${where}: ${full} and ${clash} would share a TypeScript name`);
    }
    let def: NamedDef;
    if (node.type === 'enum') {
      def = { kind: 'enum', name: shortName(full), doc: docOf(node), symbols: node.symbols as string[] };
      if (first) this.defs.set(full, def);
    } else {
      // Registered before its fields are walked, so references inside resolve.
      const fields: FieldDef[] = [];
      def = { kind: 'record', name: shortName(full), doc: docOf(node), fields };
      if (first) this.defs.set(full, def);
      const innerNs = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : undefined;
      for (const field of node.fields as JsonObject[]) {
        const fieldName = String(field.name);
        fields.push({ name: fieldName, doc: docOf(field), tsType: this.tsType(field.type, innerNs, `${full}.${fieldName}`) });
      }
    }
    // Standalone schemas inline each shared type once per event; all copies must agree.
    if (!first && JSON.stringify(this.defs.get(full)) !== JSON.stringify(def)) {
      throw new Error(`${where}: ${full} is defined differently in two events`);
    }
    return full;
  }
}

function comment(doc: string | undefined, indent: string): string[] {
  return doc === undefined ? [] : [`${indent}/** ${doc.replace(/\*\//g, '*\\/')} */`];
}

function upperSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function renderEnum(def: EnumDef): string[] {
  const quoted = def.symbols.map((s) => `'${s}'`);
  return [
    ...comment(def.doc, ''),
    `export type ${def.name} = ${quoted.join(' | ')};`,
    `export const ${upperSnake(def.name)}_SYMBOLS: readonly ${def.name}[] = [${quoted.join(', ')}];`,
  ];
}

function renderRecord(def: RecordDef): string[] {
  return [
    ...comment(def.doc, ''),
    `export interface ${def.name} {`,
    ...def.fields.flatMap((f) => [...comment(f.doc, '  '), `  readonly ${f.name}: ${f.tsType};`]),
    '}',
  ];
}

/** The text of types.generated.ts for the given standalone event schemas. */
export function renderEventTypes(schemas: readonly SchemaJson[]): string {
  const collector = new Collector();
  for (const schema of schemas) collector.tsType(schema, undefined, '$');
  const defs = [...collector.defs.values()];
  const byName = (a: NamedDef, b: NamedDef): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const enums = defs.filter((d): d is EnumDef => d.kind === 'enum').sort(byName);
  const records = defs.filter((d): d is RecordDef => d.kind === 'record').sort(byName);
  const blocks = [...enums.map(renderEnum), ...records.map(renderRecord)];
  return [
    '// Generated by scripts/gen-event-types.ts from schemas/*.avsc and schemas/common/*.avsc.',
    '// Do not edit by hand: change the schemas, then run `npm run schemas:gen`.',
    '',
    blocks.map((b) => b.join('\n')).join('\n\n'),
    '',
  ].join('\n');
}

/** The file as it should be for the current schemas. */
export function generateEventTypes(): string {
  return renderEventTypes(EVENT_NAMES.map((name) => PLATFORM_EVENTS[name].schema as unknown as SchemaJson));
}

if (require.main === module) {
  fs.writeFileSync(GENERATED_TYPES_PATH, generateEventTypes());
  console.log(`wrote ${path.relative(process.cwd(), GENERATED_TYPES_PATH)}`);
}
