import { createHash } from 'node:crypto';

/**
 * Deterministic ids. An evaluation is keyed by its candidate (modelId, runId),
 * so a redelivered TrainingCompleted, a restart or a second instance computes
 * the same id and can see that the work is done. A rollback has no candidate
 * run of its own; it is keyed by the command that asked for it.
 */
const digest = (...parts: readonly string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24);

export function evaluationIdFor(modelId: string, runId: string): string {
  return `ev-${digest(modelId, runId)}`;
}

export function rollbackEvaluationIdFor(modelId: string, commandId: string): string {
  return `ev-rollback-${digest(modelId, commandId)}`;
}
