import type { Catalog, InFlightPolicy } from '../../../lib/catalog';
import { resolveModel } from '../../../lib/catalog';

/**
 * The catalog entry a run's model id refers to: the model itself, or, for a
 * member of a model family (`<family id>.<segment>`), the family. The member
 * trains with the family's settings under its own id.
 */
export { resolveModel };

export function inFlightPolicyOf(catalog: Catalog, modelId: string): InFlightPolicy {
  return resolveModel(catalog, modelId)?.training.inFlightPolicy ?? 'queue';
}
