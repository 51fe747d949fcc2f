import { fitModel } from './fit';
import { featureImportance } from './importance';
import type { Row } from './values';
import { mulberry32 } from '../synthetic';

describe('featureImportance', () => {
  const random = mulberry32(4);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const rows: Row[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 6000; i++) {
    // strong: logit weight 2 per σ, on a feature far from zero with σ 10; weak: 0.3 per σ; noise: none; channel: 'risky' adds 1.5.
    const strong = 1e4 + 10 * gauss();
    const weak = gauss();
    const noise = 100 + gauss();
    const channel = random() < 0.3 ? 'risky' : random() < 0.5 ? 'web' : 'pos';
    const logit = -1 + 2 * ((strong - 1e4) / 10) + 0.3 * weak + (channel === 'risky' ? 1.5 : 0);
    rows.push({ strong, weak, noise, channel });
    labels.push(random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0);
  }
  const model = fitModel(rows, labels, [
    { name: 'strong', type: 'numeric' },
    { name: 'weak', type: 'numeric' },
    { name: 'noise', type: 'numeric' },
    { name: 'channel', type: 'categorical' },
  ]);
  const importance = featureImportance(model, rows);

  it('ranks features by how much they move the logit, whatever their raw scale', () => {
    expect(Object.keys(importance)).toEqual(['strong', 'weak', 'noise', 'channel']);
    expect(importance.strong).toBeGreaterThan(1.5);
    expect(importance.strong! / importance.weak!).toBeGreaterThan(4);
    expect(importance.weak).toBeGreaterThan(importance.noise!);
    expect(importance.noise).toBeLessThan(0.1);
    // 'risky' (30%) adds ~1.5: its one-hot columns together spread the logit by ~1.5·√(0.3·0.7) ≈ 0.69.
    expect(importance.channel).toBeGreaterThan(0.45);
    expect(importance.channel).toBeLessThan(0.95);
  });

  it('is |coefficient| × the standardised spread for a numeric column (the spread of its logit contribution)', () => {
    const column = model.pipeline.columns.indexOf('weak');
    expect(importance.weak).toBeCloseTo(Math.abs(model.coefficients[column]!), 1);
  });

  it('is 0 for every feature of an empty row set', () => {
    expect(featureImportance(model, [])).toEqual({ strong: 0, weak: 0, noise: 0, channel: 0 });
  });
});
