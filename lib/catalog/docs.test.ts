/** docs/catalog.md must not drift from the loader: its example loads, and it names every metric and drift test. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DRIFT_METHOD_NAMES } from './drift-methods';
import { parseCatalog } from './load';
import { METRIC_NAMES } from './metrics';

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'catalog.md'), 'utf8');

describe('docs/catalog.md', () => {
  it('has an example that loads', () => {
    const example = /## Example\s+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const catalog = parseCatalog(example ?? '', 'docs/catalog.md#example');
    expect(catalog.models.map((m) => m.id)).toEqual(['card-fraud', 'merchant-fraud']);
    expect(catalog.models[1]?.training.queue).toBe('training');
  });

  it.each([...METRIC_NAMES, ...DRIFT_METHOD_NAMES])('documents %s', (name) => {
    expect(doc).toContain(`| \`${name}\` |`);
  });
});
