import { fitPipeline, fitTransform, fnv1a, transformRowInto, transformRows, type NumericEncoding, type OneHotEncoding } from './features';
import type { Row } from './values';

const rows: Row[] = [
  { amount: 10, country: 'NL', flag: true, age: 5 },
  { amount: 20, country: 'NL', flag: false, age: 5 },
  { amount: null, country: 'DE', flag: true, age: 5 },
  { amount: NaN, country: null, flag: true, age: 5 },
  { amount: 30, country: 'NL', flag: false, age: 5 },
  { country: 'FR', flag: true, age: 5 }, // amount absent
];
const features = [
  { name: 'amount', type: 'numeric' as const },
  { name: 'country', type: 'categorical' as const },
  { name: 'flag', type: null }, // inferred: boolean → categorical
  { name: 'age', type: 'numeric' as const },
];

describe('fitPipeline / transformRows', () => {
  const pipeline = fitPipeline(rows, features, { maxCategories: 2 });

  it('names its columns: numeric (+ missing indicator), top-K categories + __other__', () => {
    expect(pipeline.columns).toEqual([
      'amount',
      'amount__missing',
      'country=NL',
      'country=DE', // ties (DE, FR, __missing__ once each) by name
      'country=__other__',
      'flag=true',
      'flag=false',
      'flag=__other__',
      'age',
    ]);
  });

  it('imputes missing and invalid numbers with the training mean and flags them', () => {
    const amount = pipeline.features[0] as NumericEncoding;
    expect(amount.mean).toBe(20);
    // Population std of the imputed column [10, 20, 20, 20, 30, 20]: sqrt(200 / 6).
    expect(amount.scale).toBeCloseTo(Math.sqrt(200 / 6), 12);
    expect(amount.missingIndicator).toBe(true);
    const x = transformRows(pipeline, rows);
    const at = (i: number, j: number): number => x.data[i * x.cols + j] as number;
    expect([at(0, 0), at(0, 1)]).toEqual([-10 / amount.scale, 0]);
    for (const i of [2, 3, 5]) expect([at(i, 0), at(i, 1)]).toEqual([0, 1]);
  });

  it('gives a constant feature scale 1 (not a division by zero)', () => {
    const age = pipeline.features[3] as NumericEncoding;
    expect(age).toEqual({ kind: 'numeric', name: 'age', mean: 5, scale: 1, missingIndicator: false });
    const x = transformRows(pipeline, [{ age: 7 }]);
    expect(x.data[8]).toBe(2);
  });

  it('sends unseen, rare and missing-at-scoring categories to __other__ when not kept', () => {
    const country = pipeline.features[1] as OneHotEncoding;
    expect(country.categories).toEqual(['NL', 'DE']);
    const x = transformRows(pipeline, [{ country: 'JP' }, { country: 'FR' }, { country: 'DE' }, {}]);
    const block = (i: number): number[] => Array.from(x.data.slice(i * x.cols + 2, i * x.cols + 5));
    expect(block(0)).toEqual([0, 0, 1]);
    expect(block(1)).toEqual([0, 0, 1]);
    expect(block(2)).toEqual([0, 1, 0]);
    expect(block(3)).toEqual([0, 0, 1]);
  });

  it('keeps missing as its own category when it is frequent enough', () => {
    const p = fitPipeline([{ c: null }, { c: null }, { c: 'a' }], [{ name: 'c', type: 'categorical' }]);
    expect(p.columns).toEqual(['c=__missing__', 'c=a', 'c=__other__']);
    expect(Array.from(transformRows(p, [{}]).data)).toEqual([1, 0, 0]);
  });

  it('hashes categories into a fixed number of buckets when asked', () => {
    const p = fitPipeline(rows, [{ name: 'country', type: 'categorical' }], { encoding: 'hashing', hashBuckets: 8 });
    expect(p.columns).toHaveLength(8);
    const x = transformRows(p, [{ country: 'NL' }, { country: 'never-seen' }]);
    expect(x.data.slice(0, 8).reduce((a, b) => a + b, 0)).toBe(1);
    expect(x.data[fnv1a('NL') % 8]).toBe(1);
    expect(x.data[8 + (fnv1a('never-seen') % 8)]).toBe(1);
    expect(fnv1a('NL')).toBe(fnv1a('NL'));
    expect(fnv1a('')).toBe(0x811c9dc5);
  });

  it('overwrites every entry of a reused buffer', () => {
    const out = new Float64Array(pipeline.columns.length).fill(99);
    transformRowInto(pipeline, { amount: 20, country: 'NL', flag: true, age: 5 }, out, 0);
    expect(Array.from(out)).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 0]);
  });

  it('omits the indicator when nothing was missing, and then imputes silently at scoring', () => {
    const p = fitPipeline([{ v: 1 }, { v: 3 }], [{ name: 'v', type: 'numeric' }]);
    expect(p.columns).toEqual(['v']);
    expect(Array.from(transformRows(p, [{ v: null }, { v: 'oops' }]).data)).toEqual([0, 0]);
  });

  it('refuses a feature listed twice', () => {
    expect(() => fitPipeline(rows, [features[0]!, features[0]!])).toThrow(/listed twice/);
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(pipeline))).toEqual(pipeline);
  });

  it.each([
    ['one-hot', { maxCategories: 2 }],
    ['hashing', { encoding: 'hashing' as const, hashBuckets: 4 }],
  ])('fitTransform (%s) gives the same pipeline and matrix as fitPipeline + transformRows', (_name, options) => {
    const { pipeline: p, matrix } = fitTransform(rows, features, options);
    const expected = fitPipeline(rows, features, options);
    expect(p).toEqual(expected);
    expect(Array.from(matrix.data)).toEqual(Array.from(transformRows(expected, rows).data));
  });
});
