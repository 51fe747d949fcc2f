import { parseCatalog, type ModelSpec } from '../../../lib/catalog';
import { buildCategoricalReference, buildNumericReference, type FeatureReference } from '../../../lib/stats';
import { mulberry32 } from '../testing/stream';
import { driftEvidence, type Reference } from './evidence';
import { CategoricalCounts, NumericSketch, type FeatureSketch } from './sketch';

/**
 * The dataset rule with the catalog's DEFAULT drift settings (issue 12): the
 * false-alarm budget (windowsPerFalseAlarm 1000, importance-weighted, KS and
 * chi-square at calibrated levels). 20 numeric features of varied offset and
 * scale (some far from zero with a small spread) plus one categorical, windows
 * of 2,000 events against a 50,000-event reference.
 */

const NUMERIC = 20;
const WINDOW = 2000;
const CATEGORIES = ['a', 'b', 'c', 'd', 'e', 'f'];
const SHARES = [0.3, 0.2, 0.15, 0.15, 0.1, 0.1];

function modelOf(features: number, extra = '', f0Drift?: string): ModelSpec {
  const names = Array.from({ length: features }, (_, i) => `        - { name: f${i}, type: numeric${i === 0 && f0Drift ? `, drift: { ${f0Drift} }` : ''} }`).join('\n');
  const doc = `version: 1
models:
  - id: budget
    data:
      featureTopic: features
      labelTopic: labels
      eventIdField: event_id
      eventTimeField: event_time
      labelTimeField: label_time
      labelField: is_fraud
      labelMaturity: 1h
      features:
${names}
        - { name: channel, type: categorical }
    triggers:
      drift:
        window: { type: count, size: ${WINDOW} }
${extra}
    training:
      lookback: 1d
`;
  return parseCatalog(doc, 'budget.test.yaml').models[0]!;
}

/** Feature i: location and scale (some far from zero: card age, tenure, an hour offset). */
const LOCATIONS = [0, 100, 1e6, -5e4, 3, 0.001, 42, 0, 7e3, 1, 0, 250, 0, 1e4, 5, 0, 60, 0, 2, 0.5];
const SCALES = [1, 1, 10, 0.01, 2, 1e-4, 0.5, 5, 30, 1, 100, 2, 1, 50, 1, 3, 4, 1, 0.2, 1];

interface Change {
  /** Per numeric feature: shift in σ and scale factor. */
  readonly shift?: Readonly<Record<number, number>>;
  readonly scale?: Readonly<Record<number, number>>;
  /** Extra offset added to every numeric feature (the far-from-zero controls). */
  readonly offset?: number;
  readonly spread?: number;
  readonly category?: { readonly name: string; readonly share: number };
}

function generator(seed: number, features: number) {
  const random = mulberry32(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return (change: Change = {}) => {
    const row: number[] = [];
    for (let i = 0; i < features; i++) {
      const location = change.offset !== undefined ? change.offset : LOCATIONS[i % LOCATIONS.length]!;
      const sd = change.spread !== undefined ? change.spread : SCALES[i % SCALES.length]!;
      const z = gauss() * (change.scale?.[i] ?? 1) + (change.shift?.[i] ?? 0);
      row.push(location + sd * z);
    }
    const shares = change.category ? SHARES.map((s, i) => (CATEGORIES[i] === change.category!.name ? change.category!.share : (s * (1 - change.category!.share)) / (1 - SHARES[CATEGORIES.indexOf(change.category!.name)]!))) : SHARES;
    let u = random();
    let category = CATEGORIES[CATEGORIES.length - 1]!;
    for (let i = 0; i < shares.length; i++) {
      if (u < shares[i]!) {
        category = CATEGORIES[i]!;
        break;
      }
      u -= shares[i]!;
    }
    return { row, category };
  };
}

function referenceOf(draw: ReturnType<typeof generator>, features: number, change: Change = {}, importance: Record<string, number> | null = null): Reference {
  const columns: number[][] = Array.from({ length: features }, () => []);
  const channel: string[] = [];
  for (let n = 0; n < 50_000; n++) {
    const { row, category } = draw(change);
    row.forEach((v, i) => columns[i]!.push(v));
    channel.push(category);
  }
  const refs: Record<string, FeatureReference> = {};
  columns.forEach((values, i) => (refs[`f${i}`] = buildNumericReference(values)));
  refs.channel = buildCategoricalReference(channel);
  return { features: refs, score: null, labelRate: null, labelledRows: null, bootstrap: false, importance };
}

function judge(model: ModelSpec, reference: Reference, draw: ReturnType<typeof generator>, features: number, change: Change = {}, size = WINDOW) {
  const sketches = new Map<string, FeatureSketch>();
  const numeric = Array.from({ length: features }, (_, i) => {
    const s = new NumericSketch();
    sketches.set(`n:f${i}`, s);
    return s;
  });
  const channel = new CategoricalCounts();
  sketches.set('c:channel', channel);
  for (let n = 0; n < size; n++) {
    const { row, category } = draw(change);
    row.forEach((v, i) => numeric[i]!.add(v));
    channel.add(category);
  }
  return driftEvidence(model, reference, { start: 0, end: 1, count: size, sketches }, [], { labels: 0, positives: 0 }, []);
}

const drifted = (evidence: ReturnType<typeof judge>['evidence']): string[] => evidence.features.filter((f) => f.drifted).map((f) => f.feature);

describe('the default drift rule: a false-alarm budget split by importance', () => {
  const model = modelOf(NUMERIC);
  const draw = generator(12, NUMERIC);
  const reference = referenceOf(draw, NUMERIC);

  it('is on by default: 1/1000 per window, KS and chi-square at each feature\'s share, recorded in the evidence', () => {
    expect(model.triggers.drift.windowsPerFalseAlarm).toBe(1000);
    const { evidence } = judge(model, reference, draw, NUMERIC);
    expect(evidence.datasetRule).toMatch(/^any of 21 features drifted at its share of the false-alarm budget \(1\/1000 per window, equal shares, effect >= 0.02\)/);
    for (const f of evidence.features) {
      expect(f.weight).toBeCloseTo(1 / 21, 12);
      expect(f.threshold).toBeCloseTo(1 / 1000 / 21, 12);
      expect(f.test).toBe(f.kind === 'NUMERIC' ? 'KS' : 'CHI_SQUARE');
    }
  });

  // The issue's table: each is requested in every window, and the evidence names exactly the moved features.
  it.each<[string, Change, string[]]>([
    ['0.5σ mean shift on 3 of 21 features', { shift: { 1: 0.5, 2: 0.5, 9: 0.5 } }, ['f1', 'f2', 'f9']],
    ['σ × 1.5 on 3 of 21 features', { scale: { 0: 1.5, 3: 1.5, 16: 1.5 } }, ['f0', 'f16', 'f3']],
    ['0.2σ mean shift on 1 feature (far from zero: 1e6 ± 10)', { shift: { 2: 0.2 } }, ['f2']],
    ['a category share 10% → 25%', { category: { name: 'e', share: 0.25 } }, ['channel']],
  ])('%s: drifted in every window, naming exactly the moved features', (_name, change, moved) => {
    for (let w = 0; w < 10; w++) {
      const { drifted: fired, evidence } = judge(model, reference, draw, NUMERIC, change);
      expect(fired).toBe(true);
      expect(drifted(evidence).sort()).toEqual(moved);
    }
  });

  it('a stationary stream stays within the budget (at most 1/1000 of windows on average: ≤ 1 of 200 here)', () => {
    let alarms = 0;
    for (let w = 0; w < 200; w++) if (judge(model, reference, draw, NUMERIC).drifted) alarms++;
    expect(alarms).toBeLessThanOrEqual(1);
  });
});

describe('far from zero: the same stationary noise at another offset raises the same alarms', () => {
  const features = 6;
  const model = modelOf(features);
  const offsets: [string, number, number][] = [
    ['N(0, 1)', 0, 1],
    ['N(100, 1)', 100, 1],
    ['N(1e6, 10)', 1e6, 10],
  ];
  const runs = offsets.map(([name, offset, spread]) => {
    const draw = generator(5, features);
    const reference = referenceOf(draw, features, { offset, spread });
    const statistics: number[] = [];
    let alarms = 0;
    for (let w = 0; w < 150; w++) {
      const { drifted: fired, evidence } = judge(model, reference, draw, features, { offset, spread });
      if (fired) alarms++;
      for (const f of evidence.features) if (f.kind === 'NUMERIC') statistics.push(f.statistic);
    }
    return { name, alarms, statistics };
  });

  it.each(runs.slice(1).map((r) => [r.name, r] as const))('%s: alarms as many as centred, KS D within 0.01 of it window by window (the sketch error bound)', (_name, run) => {
    const centred = runs[0]!;
    expect(run.alarms).toBeLessThanOrEqual(Math.max(centred.alarms, 1));
    expect(run.statistics.length).toBe(centred.statistics.length);
    const worst = Math.max(...run.statistics.map((d, i) => Math.abs(d - centred.statistics[i]!)));
    expect(worst).toBeLessThan(0.01);
  });
});

describe('importance: the budget follows what the model leans on', () => {
  const features = 20;
  const model = modelOf(features);
  const draw = generator(31, features);
  // The champion leans on f0 (e.g. |coefficient| × spread); the rest barely matter.
  const importance = Object.fromEntries([...Array.from({ length: features }, (_, i) => [`f${i}`, i === 0 ? 4 : 0.01]), ['channel', 0.01]]);
  const weighted = referenceOf(draw, features, {}, importance);
  const equal = { ...weighted, importance: null };

  const rate = (reference: Reference, feature: number): number => {
    let hits = 0;
    for (let w = 0; w < 40; w++) if (judge(model, reference, draw, features, { shift: { [feature]: 0.13 } }).drifted) hits++;
    return hits / 40;
  };

  it('a 0.13σ shift is caught more often in the important feature than with equal shares, and less often in an unimportant one', () => {
    const important = rate(weighted, 0);
    const unimportant = rate(weighted, 7);
    const plain = rate(equal, 0);
    expect(important).toBeGreaterThan(plain);
    expect(plain).toBeGreaterThan(unimportant);
    expect(important).toBeGreaterThanOrEqual(0.5);
  });

  it('records each feature\'s weight: 0.9 of the budget by importance, 0.1 spread evenly', () => {
    const { evidence } = judge(model, weighted, draw, features);
    const byName = Object.fromEntries(evidence.features.map((f) => [f.feature, f.weight!]));
    const total = 4 + 0.01 * 20;
    expect(byName.f0).toBeCloseTo((0.9 * 4) / total + 0.1 / 21, 12);
    expect(byName.f5).toBeCloseTo((0.9 * 0.01) / total + 0.1 / 21, 12);
    expect(Object.values(byName).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(evidence.datasetRule).toMatch(/importance-weighted/);
  });
});

describe('minEffect: huge windows do not fire on negligible changes', () => {
  const model = modelOf(1, '        minSamples: 1000');
  const draw = generator(8, 1);
  const reference = referenceOf(draw, 1);

  it('a 0.03σ shift over 200,000 events is significant but below minEffect 0.02: not drifted; 0.1σ is', () => {
    const tiny = judge(model, reference, draw, 1, { shift: { 0: 0.03 } }, 200_000).evidence.features.find((f) => f.feature === 'f0')!;
    expect(tiny.pValue!).toBeLessThan(tiny.threshold);
    expect(tiny.statistic).toBeLessThan(0.02);
    expect(tiny.drifted).toBe(false);
    const real = judge(model, reference, draw, 1, { shift: { 0: 0.1 } }, 200_000).evidence.features.find((f) => f.feature === 'f0')!;
    expect(real.drifted).toBe(true);
  });
  it("a feature's own minEffect replaces the model's for that feature only", () => {
    const f0 = (m: ModelSpec, shift: number) => judge(m, reference, draw, 1, { shift: { 0: shift } }, 200_000).evidence;
    // 0.1σ moves ~4% of the mass (KS D): drifted at the default 0.02, not at f0's own 0.1.
    const strict = f0(modelOf(1, '        minSamples: 1000', 'minEffect: 0.1'), 0.1);
    const feature = strict.features.find((f) => f.feature === 'f0')!;
    expect(feature.pValue!).toBeLessThan(feature.threshold);
    expect(feature.statistic).toBeGreaterThan(0.02);
    expect(feature.statistic).toBeLessThan(0.1);
    expect(feature.drifted).toBe(false);
    expect(strict.datasetRule).toContain('effect >= 0.02 (f0 0.1)');
    // The other way round: a model-wide 0.1 that would hide it, and f0's own 0.02 that does not.
    expect(f0(modelOf(1, '        minSamples: 1000\n        minEffect: 0.1'), 0.1).features.find((f) => f.feature === 'f0')!.drifted).toBe(false);
    const loose = f0(modelOf(1, '        minSamples: 1000\n        minEffect: 0.1', 'minEffect: 0.02'), 0.1);
    expect(loose.features.find((f) => f.feature === 'f0')!.drifted).toBe(true);
    expect(loose.datasetRule).toContain('effect >= 0.1 (f0 0.02)');
  });
});

describe('windowsPerFalseAlarm: null keeps the fixed thresholds and the share rule', () => {
  it('3 of 21 drifted features are below driftShare 0.3 and do not fire; the evidence has no weights', () => {
    const model = modelOf(NUMERIC, '        windowsPerFalseAlarm: null');
    const draw = generator(3, NUMERIC);
    const reference = referenceOf(draw, NUMERIC);
    const { drifted: fired, evidence } = judge(model, reference, draw, NUMERIC, { shift: { 1: 0.5, 2: 0.5, 9: 0.5 } });
    expect(fired).toBe(false);
    expect(evidence.features.every((f) => f.weight === null)).toBe(true);
    expect(evidence.datasetRule).toMatch(/^driftedShare >= 0.3/);
  });
});
