import type * as avsc from 'avsc';
import { eventAvroType } from '../events';
import { buildNumericReference, parseFeatureReference } from '../stats';
import { computeMetrics, toModelMetrics } from './metrics';
import { buildReferenceProfile, profileFeature, withImportance } from './profile';
import type { Row } from './values';

const rows: Row[] = Array.from({ length: 200 }, (_, i) => ({
  amount: i % 50 === 0 ? null : i % 77 === 0 ? NaN : i,
  country: i % 10 === 0 ? 'DE' : i % 40 === 1 ? null : 'NL',
  is_new_device: i % 4 === 0,
  model_score: (i % 100) / 100,
}));

describe('buildReferenceProfile', () => {
  const profile = buildReferenceProfile(rows, rows.map((_, i) => (i % 20 === 0 ? 1 : 0)), {
    features: [
      { name: 'amount', type: 'numeric' },
      { name: 'country', type: 'categorical' },
      { name: 'is_new_device', type: null },
    ],
    scoreField: 'model_score',
  });

  it('profiles numeric features with lib/stats quantile bins, in the event shape', () => {
    const amount = profile.features[0]!;
    const values = rows.map((r) => (r.amount === null ? null : (r.amount as number)));
    const ref = buildNumericReference(values);
    expect(amount).toEqual({
      name: 'amount',
      kind: 'NUMERIC',
      binEdges: ref.edges,
      binProportions: ref.proportions,
      categories: {},
      missingShare: ref.missingShare,
      count: 200,
      binMeans: ref.binMeans,
      nanShare: ref.nanShare,
      mean: ref.mean,
      std: ref.std,
      importance: null,
    });
    expect(amount.binProportions).toHaveLength(amount.binEdges.length + 1);
    expect(amount.missingShare).toBeCloseTo(4 / 200, 12);
    expect(amount.nanShare).toBeCloseTo(2 / 200, 12); // 77 and 154
  });

  it('profiles categorical features (booleans included) as shares of present values', () => {
    const country = profile.features[1]!;
    expect(country.kind).toBe('CATEGORICAL');
    expect(country.missingShare).toBeCloseTo(5 / 200, 12);
    expect(country.categories.DE).toBeCloseTo(20 / 195, 12);
    expect(country.binEdges).toEqual([]);
    const device = profile.features[2]!;
    expect(device.categories).toEqual({ false: 0.75, true: 0.25 });
  });

  it('profiles the score field and the label rate', () => {
    expect(profile.score?.name).toBe('model_score');
    expect(profile.score?.kind).toBe('NUMERIC');
    expect(profile.labelRate).toBeCloseTo(10 / 200, 12);
    expect(profile.labelledRows).toBe(200);
  });

  it('gives the trigger something it can decode back into a reference', () => {
    const f = profile.features[0]!;
    const ref = parseFeatureReference({ kind: 'numeric', edges: f.binEdges, proportions: f.binProportions, binMeans: f.binMeans, count: f.count, missingShare: f.missingShare, nanShare: f.nanShare, mean: f.mean, std: f.std });
    expect(ref.kind).toBe('numeric');
  });

  it('leaves score and label rate null when there are none', () => {
    const p = buildReferenceProfile(rows, null, { features: [], scoreField: null });
    expect(p).toEqual({ features: [], score: null, labelRate: null, labelledRows: null });
  });

  it('caps categories, pooling the tail as __other__', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ c: `c${i % 15}` }));
    const f = profileFeature({ name: 'c', type: 'categorical' }, many, { maxCategories: 5 });
    expect(Object.keys(f.categories)).toHaveLength(6);
    expect(f.categories.__other__).toBeCloseTo(10 / 15, 12);
  });
});

describe('the profile and metrics fit the ModelReady event schema', () => {
  it('encode as Avro and decode unchanged', () => {
    const type = eventAvroType('ModelReady') as avsc.types.RecordType;
    const profile = buildReferenceProfile(rows, rows.map((_, i) => (i % 20 === 0 ? 1 : 0)), {
      features: [{ name: 'amount', type: 'numeric' }, { name: 'country', type: 'categorical' }],
      scoreField: 'model_score',
    });
    const metrics = toModelMetrics(computeMetrics([0, 1, 0, 1], [0.2, 0.7, 0.4, 0.9]));
    const problems: string[] = [];
    const errorHook = (path: string[]): void => void problems.push(path.join('.'));
    for (const [field, value] of [['profile', profile], ['metrics', metrics]] as const) {
      const t = type.field(field).type;
      expect(t.isValid(value, { errorHook })).toBe(true);
      expect(t.fromBuffer(t.toBuffer(value))).toEqual(JSON.parse(JSON.stringify(value)));
    }
    expect(problems).toEqual([]);
  });
});

describe('withImportance', () => {
  const profile = buildReferenceProfile(
    [
      { amount: 1, channel: 'web' },
      { amount: 3, channel: 'pos' },
    ],
    null,
    { features: [{ name: 'amount', type: 'numeric' }, { name: 'channel', type: 'categorical' }], scoreField: null },
  );

  it('sets the named features and leaves the others null', () => {
    const out = withImportance(profile, { amount: 2.5 });
    expect(out.features.map((f) => [f.name, f.importance])).toEqual([
      ['amount', 2.5],
      ['channel', null],
    ]);
  });

  it('names every unknown feature and bad value', () => {
    expect(() => withImportance(profile, { amout: 1, channel: -1, amount: Number.NaN })).toThrow(
      /featureImportance\.amout: not a feature of this model \(amount, channel\); featureImportance\.channel: must be a finite number >= 0, got -1; featureImportance\.amount: must be a finite number >= 0, got null/,
    );
    expect(() => withImportance(profile, [1, 2])).toThrow(/must be an object/);
  });
});
