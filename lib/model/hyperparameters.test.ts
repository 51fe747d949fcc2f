import { isRoundhouseError, type RoundhouseError } from '../errors';
import { DEFAULT_HYPERPARAMETERS, parseHyperparameters } from './hyperparameters';

function errorOf(raw: unknown): RoundhouseError {
  try {
    parseHyperparameters(raw as Record<string, unknown>);
  } catch (error) {
    if (isRoundhouseError(error)) return error;
    throw error;
  }
  throw new Error('expected parseHyperparameters to throw');
}

describe('parseHyperparameters', () => {
  it('defaults everything (scikit-learn defaults for the estimator)', () => {
    expect(parseHyperparameters({})).toEqual(DEFAULT_HYPERPARAMETERS);
    expect(parseHyperparameters(null)).toEqual(DEFAULT_HYPERPARAMETERS);
    expect(DEFAULT_HYPERPARAMETERS).toMatchObject({ C: 1, classWeight: null, maxIter: 100, tol: 1e-4, maxCategories: 50, encoding: 'onehot' });
  });

  it('accepts every documented key', () => {
    const hp = parseHyperparameters({
      C: 0.5,
      classWeight: { '0': 1, '1': 20 },
      maxIter: 50,
      tol: 1e-8,
      solver: 'lbfgs',
      fitIntercept: false,
      lbfgsMemory: 5,
      maxCategories: 10,
      encoding: 'hashing',
      hashBuckets: 64,
    });
    expect(hp).toMatchObject({ C: 0.5, classWeight: { 0: 1, 1: 20 }, solver: 'lbfgs', encoding: 'hashing', hashBuckets: 64 });
    expect(parseHyperparameters({ classWeight: 'balanced' }).classWeight).toBe('balanced');
  });

  it.each([
    ['unknown key', { learningRate: 0.1 }, 'learningRate', /unknown hyperparameter/],
    ['C zero', { C: 0 }, 'C', /C: must be a finite number > 0, got 0/],
    ['C string', { C: '1' }, 'C', /C: must be a finite number > 0, got "1"/],
    ['maxIter fraction', { maxIter: 2.5 }, 'maxIter', /maxIter: must be an integer/],
    ['tol negative', { tol: -1 }, 'tol', /tol: must be a finite number > 0/],
    ['solver', { solver: 'sgd' }, 'solver', /solver: must be one of 'auto', 'newton', 'lbfgs'/],
    ['classWeight word', { classWeight: 'auto' }, 'classWeight', /classWeight: must be 'balanced'/],
    ['classWeight keys', { classWeight: { neg: 1, pos: 2 } }, 'classWeight', /classWeight/],
    ['classWeight zero', { classWeight: { '0': 1, '1': 0 } }, 'classWeight', /classWeight/],
    ['encoding', { encoding: 'target' }, 'encoding', /encoding: must be one of 'onehot', 'hashing'/],
    ['hashBuckets', { hashBuckets: 1 }, 'hashBuckets', /hashBuckets: must be an integer in \[2/],
    ['fitIntercept', { fitIntercept: 'yes' }, 'fitIntercept', /fitIntercept: must be true or false/],
  ])('%s → VALIDATION naming the key', (_name, raw, key, message) => {
    const error = errorOf(raw);
    expect(error.code).toBe('VALIDATION');
    expect(error.retriable).toBe(false);
    expect(error.context.key).toBe(key);
    expect(error.message).toMatch(message);
  });

  it('reports every bad key at once (the demo catalog\'s gradient-descent keys, for one)', () => {
    const error = errorOf({ l2: 0.001, learningRate: 0.1, epochs: 20, C: -1 });
    expect(error.context.keys).toBe('C,epochs,l2,learningRate');
    expect(error.message.split('\n')).toHaveLength(5);
  });

  it('refuses a non-object', () => {
    expect(errorOf([1, 2]).message).toMatch(/expected a JSON object/);
  });
});
