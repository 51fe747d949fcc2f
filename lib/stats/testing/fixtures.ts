import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Loads the reference values written by scripts/stats-fixtures.py (numpy/scipy).
 * Regenerate them with: python3 scripts/stats-fixtures.py
 */
export function loadFixture<T>(name: string): T[] {
  const raw = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as { cases: T[] };
  return raw.cases;
}

/** JSON cannot hold NaN or ±Infinity; the script spells them as strings. */
export function decodeNumber(v: number | string | null): number | null {
  if (v === null) return null;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'number') return v;
  throw new Error(`unexpected fixture value ${JSON.stringify(v)}`);
}

/** |actual − expected| <= atol + rtol·|expected|, with a message that names the case. */
export function expectClose(actual: number, expected: number, what: string, rtol = 1e-9, atol = 1e-12): void {
  const ok = Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
  if (!ok) throw new Error(`${what}: expected ${expected}, got ${actual} (rtol ${rtol}, atol ${atol})`);
}
