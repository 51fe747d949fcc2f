import { CategoricalHistogram } from './categorical-histogram';

function filled(ref: string[], values: Array<string | number | boolean | null | undefined>, cap = 64): CategoricalHistogram {
  const h = new CategoricalHistogram(ref, cap);
  for (const v of values) h.add(v);
  return h;
}

describe('CategoricalHistogram', () => {
  test('counts reference categories, unseen ones by name, and missing', () => {
    const h = filled(['a', 'b'], ['a', 'a', 'c', null, undefined, 'b', 'c', 'd']);
    expect([h.countOf('a'), h.countOf('b'), h.countOf('c'), h.countOf('d'), h.countOf('zzz')]).toEqual([2, 1, 2, 1, 0]);
    expect(h.unseen()).toEqual([
      ['c', 2],
      ['d', 1],
    ]);
    expect([h.missing, h.overflow, h.count]).toEqual([2, 0, 8]);
  });

  test('numbers and booleans are categories by their string form', () => {
    const h = filled(['1', 'true'], [1, true, '1', false]);
    expect([h.countOf('1'), h.countOf('true'), h.countOf('false')]).toEqual([2, 1, 1]);
  });

  test('past the cap, new categories go to overflow and are still counted', () => {
    const h = filled(['a'], ['x', 'y', 'z', 'x', 'w', 'a'], 2);
    expect(h.unseen()).toEqual([
      ['x', 2],
      ['y', 1],
    ]);
    expect([h.overflow, h.count]).toEqual([2, 6]);
  });

  test('merge is commutative and associative within the cap, and equals one histogram of everything', () => {
    const ref = ['a', 'b'];
    const parts = [['a', 'x', null, 'b'], ['y', 'a', 'x'], ['b', undefined, 'z', 'a']];
    const [p, q, r] = parts.map((v) => filled(ref, v)) as [CategoricalHistogram, CategoricalHistogram, CategoricalHistogram];
    const sorted = (h: CategoricalHistogram) => ({ ...h.toJSON(), unseen: h.unseen().sort() });
    const all = sorted(filled(ref, parts.flat()));
    expect(sorted(p.clone().merge(q).merge(r))).toEqual(all);
    expect(sorted(p.clone().merge(q.clone().merge(r)))).toEqual(all);
    expect(sorted(r.clone().merge(q).merge(p))).toEqual(all);
  });

  test('over the cap, merge keeps the most frequent unseen names either way round and preserves totals', () => {
    const a = filled([], ['x', 'x', 'x', 'y'], 2);
    const b = filled([], ['z', 'z', 'y', 'w'], 2);
    const ab = a.clone().merge(b);
    const ba = b.clone().merge(a);
    expect(ab.toJSON()).toEqual(ba.toJSON());
    expect(ab.unseen()).toEqual([
      ['x', 3],
      ['y', 2],
    ]);
    expect([ab.overflow, ab.count]).toEqual([3, 8]);
  });

  test('merge with different reference categories or caps throws VALIDATION', () => {
    expect(() => new CategoricalHistogram(['a']).merge(new CategoricalHistogram(['b']))).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
    expect(() => new CategoricalHistogram(['a'], 1).merge(new CategoricalHistogram(['a'], 2))).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
  });

  test('duplicate reference categories are rejected', () => {
    expect(() => new CategoricalHistogram(['a', 'a'])).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });

  test('round-trips through JSON, including awkward names', () => {
    const h = filled(['__proto__', 'constructor'], ['__proto__', 'toString', null, 'é', 'constructor', 'x', 'y'], 3);
    const restored = CategoricalHistogram.fromJSON(JSON.parse(JSON.stringify(h)));
    expect(restored.toJSON()).toEqual(h.toJSON());
    expect([restored.countOf('__proto__'), restored.countOf('toString'), restored.overflow]).toEqual([1, 1, 1]);
  });

  test.each([
    ['not an object', null],
    ['bad version', { v: 9, categories: [], maxUnseen: 1, counts: [], unseen: [], overflow: 0, missing: 0 }],
    ['counts length', { v: 1, categories: ['a'], maxUnseen: 1, counts: [], unseen: [], overflow: 0, missing: 0 }],
    ['too many unseen', { v: 1, categories: [], maxUnseen: 1, counts: [], unseen: [['x', 1], ['y', 1]], overflow: 0, missing: 0 }],
    ['unseen duplicates a category', { v: 1, categories: ['a'], maxUnseen: 2, counts: [1], unseen: [['a', 1]], overflow: 0, missing: 0 }],
    ['negative overflow', { v: 1, categories: [], maxUnseen: 1, counts: [], unseen: [], overflow: -1, missing: 0 }],
  ])('fromJSON rejects %s with VALIDATION', (_name, state) => {
    expect(() => CategoricalHistogram.fromJSON(state)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });

  test('reset forgets counts and unseen names', () => {
    const h = filled(['a'], ['a', 'b', null], 1);
    h.reset();
    expect(h.toJSON()).toEqual(new CategoricalHistogram(['a'], 1).toJSON());
    h.add('c');
    expect(h.unseen()).toEqual([['c', 1]]);
  });
});
