import * as avsc from 'avsc';
import { inlineNamedTypes, type SchemaJson } from './inline';

const NS = 'dev.test';
const shared = new Map<string, SchemaJson>([
  [`${NS}.Kind`, { type: 'enum', name: 'Kind', namespace: NS, symbols: ['A', 'B'] }],
  [
    `${NS}.Range`,
    { type: 'record', name: 'Range', namespace: NS, fields: [{ name: 'start', type: 'long' }, { name: 'kind', type: `${NS}.Kind` }] },
  ],
]);

describe('inlineNamedTypes', () => {
  it('defines a shared type at its first use and refers to it by full name afterwards', () => {
    const event: SchemaJson = {
      type: 'record',
      name: 'Event',
      namespace: NS,
      fields: [
        { name: 'first', type: `${NS}.Range` },
        { name: 'second', type: ['null', `${NS}.Range`], default: null },
        { name: 'kinds', type: { type: 'array', items: 'Kind' } },
      ],
    };
    const out = inlineNamedTypes(event, shared) as { fields: { type: unknown }[] };
    expect(out.fields[0]?.type).toMatchObject({ type: 'record', name: 'Range', fields: [{}, { type: { type: 'enum', name: 'Kind' } }] });
    expect(out.fields[1]?.type).toEqual(['null', `${NS}.Range`]);
    // A short name resolves in the enclosing namespace, and Kind was already defined inside Range.
    expect(out.fields[2]?.type).toEqual({ type: 'array', items: `${NS}.Kind` });
    expect(() => avsc.Type.forSchema(out as unknown as avsc.Schema)).not.toThrow();
  });

  it('leaves the input untouched', () => {
    const event: SchemaJson = { type: 'record', name: 'E', namespace: NS, fields: [{ name: 'r', type: 'Range' }] };
    const before = JSON.stringify(event);
    inlineNamedTypes(event, shared);
    expect(JSON.stringify(event)).toBe(before);
  });

  it('names the field path of an unknown reference', () => {
    const event: SchemaJson = { type: 'record', name: 'E', namespace: NS, fields: [{ name: 'oops', type: 'Missing' }] };
    expect(() => inlineNamedTypes(event, shared)).toThrow(/E\.oops: unknown type 'Missing' \(resolved as 'dev\.test\.Missing'\)/);
  });

  it('refuses a local redefinition of a shared type', () => {
    const event: SchemaJson = {
      type: 'record',
      name: 'E',
      namespace: NS,
      fields: [{ name: 'k', type: { type: 'enum', name: 'Kind', symbols: ['X'] } }],
    };
    expect(() => inlineNamedTypes(event, shared)).toThrow(/shared type/);
  });

  it('keeps logical types and primitives in object form', () => {
    const event: SchemaJson = {
      type: 'record',
      name: 'E',
      namespace: NS,
      fields: [{ name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } }],
    };
    const out = inlineNamedTypes(event, shared) as { fields: { type: unknown }[] };
    expect(out.fields[0]?.type).toEqual({ type: 'long', logicalType: 'timestamp-millis' });
  });
});
