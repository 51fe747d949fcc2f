import type { Catalog, ModelSpec } from './types';

/**
 * Members of a model family (one model per segment value) are named
 * `<family id>.<segment>`. Catalog ids cannot contain a dot, so the split is
 * unambiguous; segment values are kept verbatim (they may contain dots).
 */
export const FAMILY_SEPARATOR = '.';

/**
 * What an API or a command accepts as a model id: a catalog id, optionally
 * followed by `.<segment>`. The segment is 1-200 characters without whitespace,
 * control characters or '/' (it travels in URL paths, where an encoded %2F
 * comes back as a separator). One pattern for every route and command, so an id
 * accepted by one is accepted by all (issue 14). No \p{…} classes: the OpenAPI
 * document carries this pattern to other regex engines (schemathesis, Python).
 */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
export const MODEL_REF_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[^\s/\x00-\x1f\x7f]{1,200})?$/;
export const MODEL_REF_MAX_LENGTH = 241;

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
