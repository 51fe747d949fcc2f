/**
 * Durations in the catalog are strings with one unit ("500ms", "30s", "15m", "6h",
 * "30d", "2w") so a reader never wonders whether `cooldown: 6` means hours or
 * seconds. They are parsed once, at load, into whole milliseconds; services only
 * ever see the `...Ms` numbers.
 */

export const DURATION_UNITS_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

export type DurationUnit = keyof typeof DURATION_UNITS_MS;

/** The accepted syntax, also exported into the JSON Schema as a `pattern`. */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

export const DURATION_HINT = 'a duration such as 500ms, 30s, 15m, 6h, 30d or 2w';

export type DurationResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly reason: string };

/** Parse "6h" into 21600000. Fractions are allowed while the result stays whole milliseconds ("1.5h" yes, "1.5ms" no). */
export function parseDuration(text: string): DurationResult {
  const match = DURATION_PATTERN.exec(text);
  if (match === null) return { ok: false, reason: `expected ${DURATION_HINT}, got ${JSON.stringify(text)}` };
  const [whole = '0', fraction = ''] = (match[1] ?? '').split('.');
  const unit = BigInt(DURATION_UNITS_MS[match[2] as DurationUnit]);
  // Exact decimal arithmetic: 0.3 * 3600000 in floating point is 1079999.9999999998.
  const scaled = BigInt(whole + fraction) * unit;
  const divisor = 10n ** BigInt(fraction.length);
  if (scaled % divisor !== 0n) return { ok: false, reason: `${JSON.stringify(text)} is not a whole number of milliseconds` };
  const ms = scaled / divisor;
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: `${JSON.stringify(text)} is too long` };
  return { ok: true, ms: Number(ms) };
}

/** Milliseconds back to the largest exact unit: 21600000 → "6h". For messages and docs. */
export function formatDuration(ms: number): string {
  const units = Object.entries(DURATION_UNITS_MS).reverse() as Array<[DurationUnit, number]>;
  for (const [unit, size] of units) {
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
