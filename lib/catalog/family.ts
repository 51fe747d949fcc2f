import type { Catalog, ModelSpec } from './types';

/**
 * Members of a model family (one model per segment value) are named
 * `<family id>.<segment>`. Catalog ids cannot contain a dot, so the split is
 * unambiguous; segment values are kept verbatim (they may contain dots).
 */
export const FAMILY_SEPARATOR = '.';

export function memberModelId(familyId: string, segment: string): string {
  return `${familyId}${FAMILY_SEPARATOR}${segment}`;
}

/** The catalog entry a model id refers to: the model itself, or the family of a member id. */
export function resolveModel(catalog: Catalog, modelId: string): ModelSpec | undefined {
  const exact = catalog.models.find((m) => m.id === modelId);
  if (exact) return exact;
  const dot = modelId.indexOf(FAMILY_SEPARATOR);
  if (dot <= 0 || dot === modelId.length - 1) return undefined;
  const family = catalog.models.find((m) => m.id === modelId.slice(0, dot));
  return family?.family ? family : undefined;
}

/** The segment of a family member id, or null for a catalog model id. */
export function segmentOf(modelId: string): string | null {
  const dot = modelId.indexOf(FAMILY_SEPARATOR);
  return dot > 0 ? modelId.slice(dot + 1) : null;
}
