import { mulberry32 } from '../../synthetic/random';

/** Seeded generators for behaviour tests (mulberry32 + Box–Muller): the same numbers on every run. */
/** mulberry32, shared with the synthetic generators (lib/synthetic/random.ts). */
export const rng = (seed: number): (() => number) => mulberry32(seed);

export function normal(random: () => number, mean = 0, sd = 1): number {
  const u = 1 - random();
  const v = random();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function choice<T>(random: () => number, items: readonly T[], weights: readonly number[]): T {
  let r = random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < items.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}
