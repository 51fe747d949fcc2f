import fs from 'node:fs';
import { GENERATED_TYPES_PATH, generateEventTypes, renderEventTypes } from './gen-event-types';
import type { SchemaJson } from '../lib/events/inline';

describe('lib/events/types.generated.ts', () => {
  it('matches the schemas', () => {
    const committed = fs.readFileSync(GENERATED_TYPES_PATH, 'utf8');
    const expected = generateEventTypes();
    if (committed !== expected) {
      throw new Error('lib/events/types.generated.ts is out of date with schemas/: run `npm run schemas:gen` and commit the result');
    }
  });
});

describe('renderEventTypes', () => {
  const schema: SchemaJson = {
    type: 'record',
    name: 'Thing',
    namespace: 'dev.test',
    doc: 'A thing. Not a */ comment breaker.',
    fields: [
      { name: 'id', type: 'string', doc: 'Id.' },
      { name: 'count', type: 'int' },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'ratio', type: ['null', 'double'], default: null },
      { name: 'flags', type: { type: 'map', values: 'boolean' } },
      { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'DARK_BLUE'] } },
      { name: 'colors', type: { type: 'array', items: ['null', 'Color'] } },
      { name: 'child', type: ['null', { type: 'record', name: 'Child', fields: [{ name: 'f', type: 'float' }] }], default: null },
    ],
  };
  const out = renderEventTypes([schema]);

  it('maps Avro types to TypeScript', () => {
    expect(out).toContain(`export interface Thing {
  /** Id. */
  readonly id: string;
  readonly count: number;
  readonly at: number;
  readonly ratio: number | null;
  readonly flags: Readonly<Record<string, boolean>>;
  readonly color: Color;
  readonly colors: readonly (Color | null)[];
  readonly child: Child | null;
}`);
    expect(out).toContain('export interface Child {\n  readonly f: number;\n}');
  });

  it('emits a literal union and a symbol list per enum', () => {
    expect(out).toContain("export type Color = 'RED' | 'DARK_BLUE';");
    expect(out).toContain("export const COLOR_SYMBOLS: readonly Color[] = ['RED', 'DARK_BLUE'];");
  });

  it('escapes comment terminators in docs', () => {
    expect(out).toContain('/** A thing. Not a *\\/ comment breaker. */');
  });

  it('refuses unions other than ["null", T]', () => {
    const bad: SchemaJson = { type: 'record', name: 'B', fields: [{ name: 'x', type: ['string', 'long'] }] };
    expect(() => renderEventTypes([bad])).toThrow('B.x: only ["null", T] unions are supported');
  });

  it('refuses two named types that would share a TypeScript name', () => {
    const a: SchemaJson = { type: 'record', name: 'X', namespace: 'a', fields: [{ name: 'k', type: { type: 'enum', name: 'K', symbols: ['A'] } }] };
    const b: SchemaJson = { type: 'record', name: 'Y', namespace: 'b', fields: [{ name: 'k', type: { type: 'enum', name: 'K', symbols: ['A'] } }] };
    expect(() => renderEventTypes([a, b])).toThrow('b.K and a.K would share a TypeScript name');
  });

  it('refuses a shared type defined differently in two events', () => {
    const a: SchemaJson = { type: 'record', name: 'X', namespace: 'n', fields: [{ name: 'k', type: { type: 'enum', name: 'K', symbols: ['A'] } }] };
    const b: SchemaJson = { type: 'record', name: 'Y', namespace: 'n', fields: [{ name: 'k', type: { type: 'enum', name: 'K', symbols: ['B'] } }] };
    expect(() => renderEventTypes([a, b])).toThrow('n.K is defined differently in two events');
  });
});
