import type { FeatureProfile, ReferenceProfile } from '../../../lib/events';
import { buildCategoricalReference, buildNumericReference } from '../../../lib/stats';
import { mulberry32 } from '../../../lib/synthetic/random';

export { mulberry32 };

/**
 * A seeded synthetic stream for the trigger's tests and benchmark: `numeric`
 * standard-normal features f0..f(n-1) (plus a categorical `channel`), one event
 * per `spacingMs` of event time, with an optional change point from which the
 * chosen features shift by `shift` standard deviations.
 */
export interface StreamOptions {
  readonly seed: number;
  readonly features: number;
  readonly start: number;
  readonly spacingMs: number;
  readonly changeAt?: number;
  readonly changed?: readonly number[];
  readonly shift?: number;
}

export interface SyntheticEvent {
  readonly event_id: string;
  readonly event_time: number;
  readonly merchant_id: string;
  readonly channel: string;
  readonly [feature: string]: string | number;
}

const CHANNELS = ['web', 'pos', 'app', 'moto'];

export function* syntheticStream(options: StreamOptions, count: number): Generator<SyntheticEvent> {
  const random = mulberry32(options.seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const changed = new Set(options.changed ?? []);
  for (let i = 0; i < count; i++) {
    const event: Record<string, string | number> = {
      event_id: `e${options.seed}-${i}`,
      event_time: options.start + i * options.spacingMs,
      merchant_id: `m${Math.floor(random() * 8)}`,
      channel: CHANNELS[Math.floor(random() * CHANNELS.length)]!,
    };
    const drifting = options.changeAt !== undefined && i >= options.changeAt;
    for (let f = 0; f < options.features; f++) {
      event[`f${f}`] = normal() + (drifting && changed.has(f) ? (options.shift ?? 1) : 0);
    }
    yield event as SyntheticEvent;
  }
}

export function featureNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `f${i}`);
}

/** The training profile a champion would carry, built from a stationary sample. */
export function referenceProfile(features: number, sample: number, seed = 999): ReferenceProfile {
  const events = [...syntheticStream({ seed, features, start: 0, spacingMs: 1 }, sample)];
  const profiles: FeatureProfile[] = featureNames(features).map((name) => {
    const ref = buildNumericReference(events.map((e) => e[name] as number));
    return {
      name,
      kind: 'NUMERIC',
      binEdges: [...ref.edges],
      binProportions: [...ref.proportions],
      categories: {},
      missingShare: ref.missingShare,
      count: ref.count,
      binMeans: [...ref.binMeans],
      nanShare: ref.nanShare,
      mean: ref.mean,
      std: ref.std,
      importance: null,
    };
  });
  const channel = buildCategoricalReference(events.map((e) => e.channel));
  profiles.push({ name: 'channel', kind: 'CATEGORICAL', binEdges: [], binProportions: [], categories: { ...channel.categories }, missingShare: channel.missingShare, count: channel.count, binMeans: [], nanShare: 0, mean: 0, std: 0, importance: null });
  return { features: profiles, score: null, labelRate: null, labelledRows: null };
}

export interface FamilyStreamOptions {
  readonly seed: number;
  readonly features: number;
  readonly start: number;
  readonly spacingMs: number;
  /** Distinct merchants: `big` of them (m0…) carry half the traffic, the rest share the other half. */
  readonly merchants: number;
  readonly big: number;
  /** Merchants whose features f1, f4, f6 shift by +1σ from event `changeAt` on. */
  readonly changed: readonly string[];
  readonly changeAt: number;
}

/** A merchant family's traffic: skewed (a few big merchants, a long tail), a change on a few merchants only. */
export function* familyStream(o: FamilyStreamOptions, count: number): Generator<SyntheticEvent> {
  const changed = new Set(o.changed);
  const tail = o.merchants - o.big;
  let i = 0;
  for (const event of syntheticStream({ seed: o.seed, features: o.features, start: o.start, spacingMs: o.spacingMs }, count)) {
    const r = (i * 2654435761) % 1000;
    const merchant = r < 500 ? `m${r % o.big}` : `m${o.big + ((i * 7919) % tail)}`;
    const shifted: Record<string, string | number> = { ...event, merchant_id: merchant };
    if (i >= o.changeAt && changed.has(merchant)) for (const f of [1, 4, 6]) if (f < o.features) shifted[`f${f}`] = (shifted[`f${f}`] as number) + 1;
    i++;
    yield shifted as SyntheticEvent;
  }
}
