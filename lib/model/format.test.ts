import { isRoundhouseError } from '../errors';
import { generateCardEvents } from '../synthetic/cards';
import { fitModel } from './fit';
import { MODEL_FORMAT, parseModel, scoreRows, serializeModel, type LogisticModel } from './format';
import type { Row } from './values';

const FEATURES = [
  { name: 'amount', type: 'numeric' as const },
  { name: 'currency', type: 'categorical' as const },
  { name: 'merchant_category', type: 'categorical' as const },
  { name: 'country', type: 'categorical' as const },
  { name: 'card_age_days', type: 'numeric' as const },
  { name: 'is_new_device', type: 'categorical' as const },
  { name: 'txn_count_1h', type: 'numeric' as const },
  { name: 'distance_from_home_km', type: 'numeric' as const },
];

const events = generateCardEvents(6000, { seed: 21, fraudRate: 0.05 });
const rows: Row[] = events.map((e) => e.transaction as unknown as Row);
const labels: number[] = events.map((e) => (e.isFraud ? 1 : 0));
const model = fitModel(rows.slice(0, 5000), labels.slice(0, 5000), FEATURES, { C: 0.5, classWeight: 'balanced' }, { modelId: 'card-fraud', runId: 'r1' });

describe('roundhouse.logistic/v1', () => {
  it('round-trips through JSON and scores bit-identically', () => {
    const text = serializeModel(model);
    const back = parseModel(text);
    expect(back).toEqual(model);
    const holdout = rows.slice(5000);
    expect(Array.from(scoreRows(back, holdout))).toEqual(Array.from(scoreRows(model, holdout)));
    expect(serializeModel(back)).toBe(text);
  });

  it('records what the fit did', () => {
    expect(model.format).toBe(MODEL_FORMAT);
    expect(model.training).toMatchObject({ rows: 5000, converged: true, solver: 'newton' });
    expect(model.training.positives).toBe(labels.slice(0, 5000).reduce((a, b) => a + b, 0));
    expect(model.hyperparameters).toMatchObject({ C: 0.5, classWeight: 'balanced' });
    expect(model.metadata).toEqual({ modelId: 'card-fraud', runId: 'r1' });
    expect(model.coefficients).toHaveLength(model.pipeline.columns.length);
  });

  it('scores rows with missing fields and unseen categories without failing', () => {
    const scores = scoreRows(model, [{}, { amount: 'x', country: 'ZZ', merchant_category: '0000' }]);
    for (const s of scores) expect(s > 0 && s < 1).toBe(true);
  });

  it('separates fraud from genuine on the synthetic stream', () => {
    const holdout = rows.slice(5000);
    const scores = scoreRows(model, holdout);
    const y = labels.slice(5000);
    const mean = (want: number): number => {
      const s = Array.from(scores).filter((_, i) => y[i] === want);
      return s.reduce((a, b) => a + b, 0) / s.length;
    };
    expect(mean(1)).toBeGreaterThan(mean(0) + 0.3);
  });

  const mutate = (change: (m: Record<string, unknown>) => void): unknown => {
    const m = JSON.parse(serializeModel(model)) as Record<string, unknown>;
    change(m);
    return m;
  };

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{', /not JSON/],
    ['wrong format', mutate((m) => (m.format = 'roundhouse.logistic/v2')), /format/],
    ['missing intercept', mutate((m) => delete m.intercept), /intercept/],
    ['short coefficients', mutate((m) => (m.coefficients = [1, 2])), /coefficients: 2 entries for \d+ columns/],
    ['non-finite coefficient', mutate((m) => ((m.coefficients as unknown[])[0] = 'NaN')), /coefficients\.0/],
    ['columns disagree', mutate((m) => ((m.pipeline as { columns: string[] }).columns[0] = 'nope')), /pipeline\.columns/],
    ['bad encoding', mutate((m) => ((m.pipeline as { features: { kind: string }[] }).features[0]!.kind = 'spline')), /pipeline\.features\.0/],
    ['zero scale', mutate((m) => ((m.pipeline as { features: { scale: number }[] }).features[0]!.scale = 0)), /scale/],
    ['unknown hyperparameter', mutate((m) => ((m.hyperparameters as Record<string, unknown>).epochs = 3)), /hyperparameters: .*epochs/s],
    ['extra field', mutate((m) => (m.surprise = 1)), /surprise|Unrecognized/],
  ])('refuses %s with VALIDATION', (_name, input, message) => {
    let thrown: unknown;
    try {
      parseModel(input);
    } catch (error) {
      thrown = error;
    }
    expect(isRoundhouseError(thrown) && thrown.code).toBe('VALIDATION');
    expect((thrown as Error).message).toMatch(message);
  });

  it('refuses a model declaring more hashing buckets than it has coefficients before naming a column (3e7 buckets in 380 bytes was a heap exhaustion)', () => {
    const crafted = mutate((m) => {
      (m.pipeline as { features: unknown[]; columns: string[] }).features = [{ kind: 'hashing', name: 'merchant', buckets: 30_000_000 }];
      (m.pipeline as { columns: string[] }).columns = [];
      m.coefficients = [];
    });
    expect(JSON.stringify(crafted).length).toBeLessThan(2000);
    expect(() => parseModel(crafted)).toThrow(/buckets: .*1048576/);
    const withinSchema = mutate((m) => {
      (m.pipeline as { features: unknown[] }).features = [{ kind: 'hashing', name: 'merchant', buckets: 1 << 20 }];
      (m.pipeline as { columns: string[] }).columns = [];
      m.coefficients = [];
    });
    const started = Date.now();
    expect(() => parseModel(withinSchema)).toThrow(/coefficients: 0 entries for 1048576 columns/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a model whose pipeline produces more columns than maxColumns', () => {
    const columns = model.pipeline.columns.length;
    expect(parseModel(serializeModel(model), { maxColumns: columns })).toEqual(model);
    expect(() => parseModel(serializeModel(model), { maxColumns: columns - 1 })).toThrow(new RegExp(`pipeline.features: ${columns} columns, more than the ${columns - 1} allowed`));
  });

  it('keeps the types honest', () => {
    const m: LogisticModel = parseModel(serializeModel(model));
    expect(typeof m.intercept).toBe('number');
  });
});
