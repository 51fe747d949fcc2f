import { createHash } from 'node:crypto';

/**
 * Deterministic ids: the same rule firing on the same window gives the same
 * requestId, so a replayed or duplicated decision dedupes downstream (the
 * dispatcher maps requestId → runId).
 */
export function requestIdFor(modelId: string, rule: string, ...parts: (string | number)[]): string {
  const digest = createHash('sha256').update(JSON.stringify([modelId, rule, ...parts])).digest('hex');
  return `rq-${digest.slice(0, 32)}`;
}

export { memberModelId } from '../../../lib/catalog';
