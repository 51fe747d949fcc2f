/**
 * The statistics as the trigger will use them: 20 features, a reference (from
 * training or the stream's first events), windows merged from partial
 * histograms, the automatic test per feature and the dataset rule with BH.
 * Seeded generators, so the outcome is the same on every run.
 */
import { CategoricalHistogram } from './categorical-histogram';
import { runDriftTest } from './choose';
import { evaluateDatasetDrift, type FeatureDriftInput } from './dataset';
import { NumericHistogram } from './numeric-histogram';
import { buildCategoricalReference, buildNumericReference } from './reference';
import { choice, normal, rng } from './testing/random';
import { type FeatureReference } from './types';

const NUMERIC = 16;
const CATS = ['card', 'bank', 'wallet', 'crypto', 'voucher'];
const CAT_WEIGHTS = [50, 25, 15, 7, 3];
const SHIFTED = new Set(['f0', 'f1', 'f2']);

interface Event {
  numeric: number[];
  categorical: string[];
}

function event(random: () => number, shift: boolean): Event {
  return {
    numeric: Array.from({ length: NUMERIC }, (_, i) => normal(random, shift && SHIFTED.has(`f${i}`) ? 0.5 : 0, 1)),
    categorical: Array.from({ length: 4 }, () => choice(random, CATS, CAT_WEIGHTS)),
  };
}

function references(events: Event[]): FeatureReference[] {
  return [
    ...Array.from({ length: NUMERIC }, (_, i) => buildNumericReference(events.map((e) => e.numeric[i] as number))),
    ...Array.from({ length: 4 }, (_, i) => buildCategoricalReference(events.map((e) => e.categorical[i] as string))),
  ];
}

/** A window as two partitions' partial histograms merged, the way two trigger instances would. */
function window(refs: FeatureReference[], events: Event[]): FeatureDriftInput[] {
  const partials = [0, 1].map(() =>
    refs.map((r) => (r.kind === 'numeric' ? new NumericHistogram(r.edges) : new CategoricalHistogram(Object.keys(r.categories)))),
  );
  events.forEach((e, n) => {
    const hists = partials[n % 2] as Array<NumericHistogram | CategoricalHistogram>;
    for (let i = 0; i < NUMERIC; i++) (hists[i] as NumericHistogram).add(e.numeric[i]);
    for (let i = 0; i < 4; i++) (hists[NUMERIC + i] as CategoricalHistogram).add(e.categorical[i]);
  });
  return refs.map((ref, i) => {
    const a = partials[0]?.[i];
    const b = partials[1]?.[i];
    const merged =
      a?.kind === 'numeric' ? a.merge(b as NumericHistogram) : (a as CategoricalHistogram).merge(b as CategoricalHistogram);
    return { feature: `f${i}`, result: runDriftTest(ref, merged) };
  });
}

const policy = { driftShare: 0.15, minSamples: 200, falseDiscoveryRate: 0.05 };

describe.each([
  ['training reference of 5000 (distances: wasserstein, jensenshannon)', 5000, 2000],
  ['bootstrap reference of the first 800 events (p-value tests: ks, chisquare, BH)', 800, 1000],
])('%s', (_name, referenceSize, windowSize) => {
  const random = rng(referenceSize);
  const refs = references(Array.from({ length: referenceSize }, () => event(random, false)));

  test('a stationary stream: no dataset drift in 30 windows', () => {
    const drifted: string[] = [];
    for (let w = 0; w < 30; w++) {
      const out = evaluateDatasetDrift(window(refs, Array.from({ length: windowSize }, () => event(random, false))), policy);
      if (out.drifted) drifted.push(`window ${w}: ${out.features.filter((f) => f.status === 'drifted').map((f) => f.feature)}`);
    }
    expect(drifted).toEqual([]);
  });

  test('a change on 3 of 20 features: the dataset drifts, naming exactly those three', () => {
    const out = evaluateDatasetDrift(window(refs, Array.from({ length: windowSize }, () => event(random, true))), policy);
    expect(out.drifted).toBe(true);
    expect(out.features.filter((f) => f.status === 'drifted').map((f) => f.feature)).toEqual(['f0', 'f1', 'f2']);
  });
});
