/**
 * Seeded randomness for the generators: mulberry32 (32-bit state, period 2³²,
 * good enough for synthetic data, not for cryptography) and the few
 * distributions they need. The same seed gives the same numbers on every
 * platform: only 32-bit integer maths and IEEE doubles are used.
 */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A well-mixed 32-bit seed from several integers (e.g. seed, event index, stream). */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Split doubles beyond 2³² into two words so large indices still mix in.
    for (const word of [p >>> 0, Math.floor(p / 4294967296) >>> 0]) {
      h = Math.imul(h ^ word, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

/** Standard normal by Box–Muller (one of the pair; simple and stateless). */
export function normal(random: Random, mean = 0, sd = 1): number {
  const u = 1 - random(); // (0, 1]: log(u) is finite
  const v = random();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function logNormal(random: Random, mu: number, sigma: number): number {
  return Math.exp(normal(random, mu, sigma));
}

export function exponential(random: Random, mean: number): number {
  return -mean * Math.log(1 - random());
}

/** Poisson by inversion from one uniform, so it always consumes exactly one draw. */
export function poisson(random: Random, lambda: number): number {
  const u = random();
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  while (u > cdf && k < 10_000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

export function bernoulli(random: Random, p: number): boolean {
  return random() < p;
}

/** An index drawn with the given (unnormalised) weights, from one uniform. */
export function weightedIndex(random: Random, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = random() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.min(items.length - 1, Math.floor(random() * items.length))] as T;
}
