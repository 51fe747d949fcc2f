import fs from 'node:fs';
import type { SchemaJson } from './inline';
import path from 'node:path';
import { findSchemasDir, toAvroType } from './schemas';

const EXAMPLES = path.join(findSchemasDir(), 'examples');

describe.each(['CardTransaction', 'Chargeback'])('schemas/examples/%s', (name) => {
  const type = toAvroType(JSON.parse(fs.readFileSync(path.join(EXAMPLES, `${name}.avsc`), 'utf8')) as SchemaJson);
  const example: unknown = JSON.parse(fs.readFileSync(path.join(EXAMPLES, `${name}.example.json`), 'utf8'));

  it('the example JSON is a valid value and round-trips', () => {
    const errors: string[] = [];
    const valid = type.isValid(example, { errorHook: (p) => errors.push(p.join('.')) });
    expect(errors).toEqual([]);
    expect(valid).toBe(true);
    expect(type.fromBuffer(type.toBuffer(example))).toEqual(example);
  });

  it('is in the examples namespace', () => {
    expect(type.name).toBe(`dev.roundhouse.examples.${name}`);
  });
});

it('the label joins the transaction by event_id', () => {
  const read = (f: string): { event_id: string } => JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')) as { event_id: string };
  expect(read('Chargeback.example.json').event_id).toBe(read('CardTransaction.example.json').event_id);
});
