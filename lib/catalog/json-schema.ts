/**
 * The JSON Schema editors use to check catalog files (yaml-language-server, VS Code),
 * generated from the same zod definition the loader validates with. It describes
 * the file as written: optional fields show their defaults; cross-field rules
 * (unique ids, threshold ranges per method, ...) are only enforced by the loader.
 */
import { z } from 'zod';
import { CatalogFileSchema } from './schema';

export const CATALOG_JSON_SCHEMA_PATH = 'schemas/catalog.schema.json';
export const CATALOG_JSON_SCHEMA_ID = 'https://roundhouse.dev/schemas/catalog.schema.json';

export function catalogJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(CatalogFileSchema, { io: 'input', target: 'draft-2020-12' });
  return { $id: CATALOG_JSON_SCHEMA_ID, title: 'Roundhouse model catalog', ...generated };
}

/** The exact text committed at schemas/catalog.schema.json. */
export function renderCatalogJsonSchema(): string {
  return `${JSON.stringify(catalogJsonSchema(), null, 2)}\n`;
}
