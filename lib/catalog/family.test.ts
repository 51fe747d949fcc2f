import { parseCatalog } from './load';
import { memberModelId, resolveModel, segmentOf } from './family';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('model families', () => {
  const catalog = parseCatalog(readFileSync(join(__dirname, '..', '..', 'config', 'catalog.yaml'), 'utf8'), 'catalog.yaml');

  it.each([
    ['card-fraud', 'card-fraud', null],
    ['merchant-fraud.m-17', 'merchant-fraud', 'm-17'],
    ['merchant-fraud.acme.co.uk', 'merchant-fraud', 'acme.co.uk'],
  ])('%s resolves to %s (segment %s)', (id, entry, segment) => {
    expect(resolveModel(catalog, id)?.id).toBe(entry);
    expect(segmentOf(id)).toBe(segment);
  });

  it.each(['card-fraud.m1', 'merchant-fraud.', '.m1', 'unknown', 'merchant-fraud-m1'])('%s resolves to nothing', (id) => {
    expect(resolveModel(catalog, id)).toBeUndefined();
  });

  it('builds member ids the resolver understands', () => {
    expect(resolveModel(catalog, memberModelId('merchant-fraud', 'x'))?.id).toBe('merchant-fraud');
  });
});
