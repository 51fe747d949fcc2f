import { isRoundhouseError } from '../errors';
import { fitModel } from './fit';
import { scoreRows } from './format';

const rows = Array.from({ length: 400 }, (_, i) => ({ x: i % 20, c: i % 3 === 0 ? 'a' : 'b' }));
const labels = rows.map((r) => (r.x > 14 ? 1 : 0));

describe('fitModel', () => {
  it('fits pipeline and estimator together', () => {
    const model = fitModel(rows, labels, [{ name: 'x', type: 'numeric' }, { name: 'c', type: 'categorical' }]);
    expect(model.pipeline.columns).toEqual(['x', 'c=b', 'c=a', 'c=__other__']);
    const [low, high] = scoreRows(model, [{ x: 0, c: 'a' }, { x: 19, c: 'a' }]);
    expect(low).toBeLessThan(0.05);
    expect(high).toBeGreaterThan(0.95);
  });

  it('uses the hashing encoding when asked', () => {
    const model = fitModel(rows, labels, [{ name: 'c', type: 'categorical' }], { encoding: 'hashing', hashBuckets: 4 });
    expect(model.pipeline.columns).toEqual(['c#0', 'c#1', 'c#2', 'c#3']);
  });

  it('refuses bad hyperparameters before doing any work, naming the key', () => {
    let thrown: unknown;
    try {
      fitModel(rows, labels, [{ name: 'x', type: 'numeric' }], { epochs: 20 });
    } catch (error) {
      thrown = error;
    }
    expect(isRoundhouseError(thrown) && [thrown.code, thrown.context.key, thrown.retriable]).toEqual(['VALIDATION', 'epochs', false]);
  });
});
