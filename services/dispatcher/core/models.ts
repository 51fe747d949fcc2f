import type { Catalog, InFlightPolicy, ModelSpec } from '../../../lib/catalog';

/**
 * The catalog entry a run's model id refers to: the model itself, or, for a
 * member of a model family, the family whose id prefixes the member's id
 * (`<family id>-<segment slug>`, the longest matching family wins). The member
 * trains with the family's settings under its own id.
 */
export function resolveModel(catalog: Catalog, modelId: string): ModelSpec | undefined {
  const exact = catalog.models.find((m) => m.id === modelId);
  if (exact) return exact;
  let best: ModelSpec | undefined;
  for (const m of catalog.models) {
    if (m.family !== null && modelId.startsWith(`${m.id}-`) && (!best || m.id.length > best.id.length)) best = m;
  }
  return best;
}

export function inFlightPolicyOf(catalog: Catalog, modelId: string): InFlightPolicy {
  return resolveModel(catalog, modelId)?.training.inFlightPolicy ?? 'queue';
}
