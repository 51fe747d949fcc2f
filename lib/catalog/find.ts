import { ErrorCodes, RoundhouseError } from '../errors';
import type { Catalog, ModelSpec } from './types';

/** The model with this id, or undefined. */
export function findModel(catalog: Catalog, id: string): ModelSpec | undefined {
  return catalog.models.find((model) => model.id === id);
}

/** The model with this id; NOT_FOUND (not retriable) when the catalog has none, e.g. an event for a model since removed. */
export function requireModel(catalog: Catalog, id: string): ModelSpec {
  const model = findModel(catalog, id);
  if (model === undefined) {
    throw new RoundhouseError(ErrorCodes.NOT_FOUND, `model "${id}" is not in the catalog (known: ${catalog.models.map((m) => m.id).join(', ')})`, {
      context: { modelId: id },
    });
  }
  return model;
}
