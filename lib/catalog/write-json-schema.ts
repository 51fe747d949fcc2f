/**
 * Regenerate schemas/catalog.schema.json from the zod definition:
 *   npx tsx lib/catalog/write-json-schema.ts
 * (json-schema.test.ts fails while the committed file is stale.)
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CATALOG_JSON_SCHEMA_PATH, renderCatalogJsonSchema } from './json-schema';

const target = resolve(__dirname, '..', '..', CATALOG_JSON_SCHEMA_PATH);
writeFileSync(target, renderCatalogJsonSchema());
process.stdout.write(`wrote ${target}\n`);
