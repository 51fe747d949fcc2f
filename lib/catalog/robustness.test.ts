/**
 * Cross-field checks run even when other fields failed, so they see values of any
 * shape. Replace every value of the demo catalog, one at a time, with something of
 * the wrong kind: the loader must answer with CATALOG_INVALID problems, never crash.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ErrorCodes, errorCode } from '../errors';
import { parseCatalog } from './load';
import { catalogProblems } from './problems';
import { catalogText } from './test-helpers';

type Path = Array<string | number>;

function paths(value: unknown, prefix: Path = []): Path[] {
  const here = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, i) => paths(item, [...prefix, i]))];
  if (typeof value === 'object' && value !== null) return [...here, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return here;
}

function replaced(doc: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
  return copy;
}

describe('loader robustness', () => {
  const demo: unknown = parse(readFileSync(join(__dirname, '..', '..', 'config', 'catalog.yaml'), 'utf8'));
  const all = paths(demo);
  const oddValues: unknown[] = ['zz', -7, 0.5, null, [], {}, [1, 'a'], { x: 1 }];

  it('visits a meaningful number of paths', () => {
    expect(all.length).toBeGreaterThan(100);
  });

  it('reports CATALOG_INVALID (or accepts) for every single-value corruption, without crashing', () => {
    let refused = 0;
    for (const path of all) {
      for (const value of oddValues) {
        try {
          parseCatalog(catalogText(replaced(demo, path, value)), 'fuzz.yaml');
        } catch (err) {
          if (errorCode(err) !== ErrorCodes.CATALOG_INVALID || catalogProblems(err).length === 0) {
            throw new Error(`${JSON.stringify(path)} = ${JSON.stringify(value)}: ${String(err)}`);
          }
          refused += 1;
        }
      }
    }
    expect(refused).toBeGreaterThan(all.length * 4);
  });
});
