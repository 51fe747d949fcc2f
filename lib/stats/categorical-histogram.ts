import { ErrorCodes, RoundhouseError } from '../errors';

/** Unseen categories tracked by name before the rest go to the overflow count. */
export const DEFAULT_MAX_UNSEEN = 64;

export type CategoricalValue = string | number | boolean | null | undefined;

/**
 * Streaming counts of one categorical feature. Slots are the reference's
 * categories first (fixed), then categories the reference never saw, tracked by
 * name up to `maxUnseen`; later new names go to `overflow` (counted, unnamed),
 * which bounds state and checkpoint size when a field explodes in cardinality
 * (a raw id sent as a category). null/undefined count as missing.
 *
 * `add` allocates nothing for strings (a Map lookup and a Float64Array
 * increment); numbers and booleans are turned into strings first.
 */
export class CategoricalHistogram {
  readonly kind = 'categorical' as const;
  readonly referenceCategories: readonly string[];
  readonly maxUnseen: number;
  missing = 0;
  /** Observations of new categories beyond maxUnseen. */
  overflow = 0;
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly slots: Float64Array;

  constructor(referenceCategories: readonly string[], maxUnseen = DEFAULT_MAX_UNSEEN) {
    if (!Number.isInteger(maxUnseen) || maxUnseen < 0) {
      throw invalid('maxUnseen', 'must be a non-negative integer');
    }
    this.referenceCategories = Object.freeze([...referenceCategories]);
    this.maxUnseen = maxUnseen;
    this.slots = new Float64Array(referenceCategories.length + maxUnseen);
    for (const name of referenceCategories) {
      if (this.index.has(name)) throw invalid('referenceCategories', `duplicate category ${JSON.stringify(name)}`);
      this.index.set(name, this.names.length);
      this.names.push(name);
    }
  }

  add(value: CategoricalValue): void {
    if (value === null || value === undefined) {
      this.missing++;
      return;
    }
    const name = typeof value === 'string' ? value : String(value);
    const slot = this.index.get(name);
    if (slot !== undefined) {
      (this.slots[slot] as number)++;
      return;
    }
    this.addNew(name, 1);
  }

  /** Count of a category (0 if never seen or lost to overflow). */
  countOf(name: string): number {
    const slot = this.index.get(name);
    return slot === undefined ? 0 : (this.slots[slot] as number);
  }

  /** Every observation: reference, unseen, overflow and missing. */
  get count(): number {
    let n = this.missing + this.overflow;
    for (let i = 0; i < this.names.length; i++) n += this.slots[i] as number;
    return n;
  }

  /** Tracked categories the reference does not have, with their counts. */
  unseen(): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    for (let i = this.referenceCategories.length; i < this.names.length; i++) {
      out.push([this.names[i] as string, this.slots[i] as number]);
    }
    return out;
  }

  /**
   * Adds other's counts into this one (mutates and returns this). Both must have
   * the same reference categories and cap (else VALIDATION). When the union of
   * unseen categories exceeds the cap, the most frequent are kept (ties by
   * name) and the rest move to overflow: commutative always, and associative
   * whenever the union fits the cap; beyond it every total is still exact, only
   * which names stay tracked can depend on the merge order. The drift tests do
   * not depend on that split (see buckets.ts).
   */
  merge(other: CategoricalHistogram): this {
    if (!sameList(this.referenceCategories, other.referenceCategories) || this.maxUnseen !== other.maxUnseen) {
      throw invalid('merge', 'cannot merge categorical histograms with different reference categories or caps');
    }
    const nRef = this.referenceCategories.length;
    for (let i = 0; i < nRef; i++) (this.slots[i] as number) += other.slots[i] as number;
    this.missing += other.missing;
    this.overflow += other.overflow;

    const union = new Map<string, number>(this.unseen());
    for (const [name, c] of other.unseen()) union.set(name, (union.get(name) ?? 0) + c);
    const ranked = [...union.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.clearUnseen();
    for (const [name, c] of ranked) this.addNew(name, c);
    return this;
  }

  /** Empties the histogram in place (unseen names are forgotten). */
  reset(): void {
    this.slots.fill(0);
    this.clearUnseen();
    this.missing = 0;
    this.overflow = 0;
  }

  clone(): CategoricalHistogram {
    return new CategoricalHistogram(this.referenceCategories, this.maxUnseen).merge(this);
  }

  toJSON(): CategoricalHistogramState {
    return {
      v: 1,
      categories: [...this.referenceCategories],
      maxUnseen: this.maxUnseen,
      counts: Array.from(this.slots.subarray(0, this.referenceCategories.length)),
      unseen: this.unseen(),
      overflow: this.overflow,
      missing: this.missing,
    };
  }

  /** Rebuilds a histogram from a checkpoint; throws VALIDATION naming the bad field. */
  static fromJSON(state: unknown): CategoricalHistogram {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw invalid('state', 'expected an object');
    const s = state as Record<string, unknown>;
    if (s.v !== 1) throw invalid('v', 'unsupported version');
    if (!Array.isArray(s.categories) || !s.categories.every((c) => typeof c === 'string')) {
      throw invalid('categories', 'expected an array of strings');
    }
    const h = new CategoricalHistogram(s.categories as string[], count(s.maxUnseen, 'maxUnseen'));
    if (!Array.isArray(s.counts) || s.counts.length !== h.referenceCategories.length) {
      throw invalid('counts', `expected ${h.referenceCategories.length} entries`);
    }
    s.counts.forEach((c, i) => {
      h.slots[i] = count(c, `counts[${i}]`);
    });
    if (!Array.isArray(s.unseen) || s.unseen.length > h.maxUnseen) throw invalid('unseen', 'expected at most maxUnseen pairs');
    s.unseen.forEach((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
        throw invalid(`unseen[${i}]`, 'expected [name, count]');
      }
      if (h.index.has(pair[0])) throw invalid(`unseen[${i}]`, 'duplicate category');
      h.addNew(pair[0], count(pair[1], `unseen[${i}][1]`));
    });
    h.overflow = count(s.overflow, 'overflow');
    h.missing = count(s.missing, 'missing');
    return h;
  }

  private addNew(name: string, c: number): void {
    if (this.names.length - this.referenceCategories.length < this.maxUnseen) {
      this.index.set(name, this.names.length);
      this.slots[this.names.length] = c;
      this.names.push(name);
    } else {
      this.overflow += c;
    }
  }

  private clearUnseen(): void {
    const nRef = this.referenceCategories.length;
    for (let i = nRef; i < this.names.length; i++) this.index.delete(this.names[i] as string);
    this.names.length = nRef;
    this.slots.fill(0, nRef);
  }
}

/** Compact, JSON-safe checkpoint of a CategoricalHistogram. */
export interface CategoricalHistogramState {
  readonly v: 1;
  readonly categories: string[];
  readonly maxUnseen: number;
  readonly counts: number[];
  readonly unseen: Array<[string, number]>;
  readonly overflow: number;
  readonly missing: number;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function invalid(path: string, message: string): RoundhouseError {
  return new RoundhouseError(ErrorCodes.VALIDATION, `categorical histogram: ${path}: ${message}`, { context: { path } });
}

function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalid(path, 'not a non-negative integer');
  return value;
}
