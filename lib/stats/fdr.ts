import { ErrorCodes, RoundhouseError } from '../errors';

export interface BenjaminiHochbergResult {
  /** BH-adjusted p-values, in the input order (scipy's false_discovery_control(method='bh')). */
  readonly adjusted: number[];
  /** Whether each hypothesis is rejected at false discovery rate q: adjusted <= q. */
  readonly rejected: boolean[];
}

/**
 * Benjamini–Hochberg step-up procedure. With m p-values sorted ascending,
 * adjusted(i) = min over j >= i of m·p(j)/j, capped at 1; rejecting adjusted <= q
 * is the same as rejecting the k smallest where k is the largest i with
 * p(i) <= i·q/m. Controls the false discovery rate at q for independent or
 * positively dependent tests, which is what many features' drift tests are.
 */
export function benjaminiHochberg(pValues: readonly number[], q: number): BenjaminiHochbergResult {
  if (!(q > 0 && q < 1)) throw new RoundhouseError(ErrorCodes.VALIDATION, `false discovery rate must be in (0, 1), got ${q}`);
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) {
      throw new RoundhouseError(ErrorCodes.VALIDATION, `p-value ${i} must be in [0, 1], got ${p}`, { context: { index: i } });
    }
  });
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => (pValues[a] as number) - (pValues[b] as number) || a - b);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const i = order[rank - 1] as number;
    running = Math.min(running, ((pValues[i] as number) * m) / rank);
    adjusted[i] = running;
  }
  return { adjusted, rejected: adjusted.map((p) => p <= q) };
}
