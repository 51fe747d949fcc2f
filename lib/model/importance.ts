import { columnCount, transformRowInto } from './features';
import { type LogisticModel } from './format';
import { type Row } from './values';

/**
 * How much the fitted model leans on each feature: the standard deviation, over
 * the given rows (the training rows), of the feature's contribution to the
 * logit, Σⱼ cⱼ·xᵢⱼ over the feature's columns. For a numeric column that is
 * |coefficient| × the standardised feature's spread (≈ |coefficient|); a one-hot
 * or hashed feature's columns, and a missing indicator, are taken together, so
 * a categorical feature is comparable with a numeric one. In logit units; only
 * the ratios between features matter (the trigger splits its false-alarm budget
 * by them, lib/stats budget.ts). One pass, a row at a time (no design matrix).
 */
export function featureImportance(model: LogisticModel, rows: readonly Row[]): Record<string, number> {
  const pipeline = model.pipeline;
  const cols = pipeline.columns.length;
  const buffer = new Float64Array(cols);
  const features = pipeline.features;
  const sums = new Float64Array(features.length);
  const squares = new Float64Array(features.length);
  for (const row of rows) {
    transformRowInto(pipeline, row, buffer, 0);
    let j = 0;
    for (let f = 0; f < features.length; f++) {
      const width = columnCount(features[f]!);
      let contribution = 0;
      for (let k = 0; k < width; k++, j++) contribution += buffer[j]! * model.coefficients[j]!;
      sums[f] = sums[f]! + contribution;
      squares[f] = squares[f]! + contribution * contribution;
    }
  }
  const out: Record<string, number> = {};
  const n = rows.length;
  features.forEach((f, i) => {
    const mean = n > 0 ? sums[i]! / n : 0;
    const variance = n > 0 ? Math.max(0, squares[i]! / n - mean * mean) : 0;
    out[f.name] = Math.sqrt(variance);
  });
  return out;
}
