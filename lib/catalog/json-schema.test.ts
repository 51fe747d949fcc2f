import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG_JSON_SCHEMA_PATH, catalogJsonSchema, renderCatalogJsonSchema } from './json-schema';

type JsonObject = Record<string, unknown>;
const at = (node: unknown, ...keys: string[]): JsonObject =>
  keys.reduce<JsonObject>((obj, key) => {
    const next = obj[key];
    if (typeof next !== 'object' || next === null) throw new Error(`no ${key} in schema`);
    return next as JsonObject;
  }, node as JsonObject);

describe('catalog JSON Schema', () => {
  it(`is committed up to date at ${CATALOG_JSON_SCHEMA_PATH} (regenerate: npx tsx lib/catalog/write-json-schema.ts)`, () => {
    const committed = readFileSync(join(__dirname, '..', '..', CATALOG_JSON_SCHEMA_PATH), 'utf8');
    expect(committed).toBe(renderCatalogJsonSchema());
  });

  const schema = catalogJsonSchema();
  const model = at(schema, 'properties', 'models', 'items');

  it('describes the file as written: strict objects, required fields, defaults and duration syntax', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['version', 'models']);
    expect(model.required).toEqual(['id', 'data']);
    expect(model.additionalProperties).toBe(false);
    expect(at(model, 'properties', 'training', 'properties', 'image').default).toBe('ghcr.io/roundhouse/trainer:0.1.0');
    const maturity = at(model, 'properties', 'data', 'properties', 'labelMaturity');
    expect(maturity.type).toBe('string');
    expect(new RegExp(String(maturity.pattern)).test('30d')).toBe(true);
    expect(new RegExp(String(maturity.pattern)).test('30 days')).toBe(false);
    expect(typeof maturity.description).toBe('string');
  });

  it('lists the known metrics for gates', () => {
    const metric = at(model, 'properties', 'evaluation', 'properties', 'gates', 'items', 'properties', 'metric');
    expect(metric.enum).toEqual(['rocAuc', 'prAuc', 'recallAt1PctFpr', 'precisionAtK', 'logLoss', 'brier', 'expectedCalibrationError']);
  });

  it('makes every defaults field optional, with no defaults of its own', () => {
    const training = at(schema, 'properties', 'defaults', 'properties', 'training');
    expect(training.required).toBeUndefined();
    expect(at(training, 'properties', 'image').default).toBeUndefined();
    expect(at(training, 'properties', 'resources').additionalProperties).toBe(false);
  });
});
