/**
 * The subset of Kubernetes strategic merge patch our overlays use: maps merge
 * key by key, `null` deletes a key, lists of the kinds below merge element by
 * element on their merge key (as in the API's OpenAPI `x-kubernetes-patch-merge-key`),
 * every other list is replaced. Directives (`$patch`, `$retainKeys`,
 * `$setElementOrder/…`) are refused rather than half-understood.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Field name → merge key, for the lists of core/apps/policy types that merge. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  // Container ports merge on containerPort; Service ports on port.
  ports: 'containerPort|port',
};

export const isObject = (value: Json | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

function mergeKeyOf(field: string, items: readonly Json[]): string | null {
  const spec = MERGE_KEYS[field];
  if (spec === undefined) return null;
  const candidates = spec.split('|');
  const first = items.find(isObject);
  return candidates.find((key) => first !== undefined && key in first) ?? candidates[0]!;
}

function mergeList(field: string, target: Json[], patch: Json[]): Json[] {
  const key = mergeKeyOf(field, [...patch, ...target]);
  if (key === null || !patch.every(isObject) || !target.every(isObject)) return clone(patch);
  const merged = target.map((item) => clone(item));
  for (const item of patch as JsonObject[]) {
    if (item[key] === undefined) throw new Error(`strategic merge: an element of ${field} has no merge key ${key}`);
    const index = merged.findIndex((existing) => (existing as JsonObject)[key] === item[key]);
    if (index < 0) merged.push(clone(item));
    else merged[index] = mergeObject(merged[index] as JsonObject, item);
  }
  return merged;
}

/** Returns a new object: `patch` applied to `target` (neither is modified). */
export function mergeObject(target: JsonObject, patch: JsonObject): JsonObject {
  const result = clone(target);
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new Error(`strategic merge: directive ${key} is not supported by this renderer`);
    const current = result[key];
    if (value === null) delete result[key];
    else if (isObject(value) && isObject(current)) result[key] = mergeObject(current, value);
    else if (Array.isArray(value) && Array.isArray(current)) result[key] = mergeList(key, current, value);
    else result[key] = clone(value);
  }
  return result;
}
