import { SAMPLE_EVENTS, MINIMAL_SAMPLE_EVENTS } from '../../../lib/events/samples';
import { evaluationIdFor, rollbackEvaluationIdFor } from './ids';
import { EMPTY_PROFILE, buildModelReady, buildRollbackReady, nextVersion } from './ready';

const completed = SAMPLE_EVENTS.TrainingCompleted;
const request = SAMPLE_EVENTS.RetrainRequested;
const evaluation = SAMPLE_EVENTS.ModelEvaluated;

describe('evaluation ids', () => {
  it('are deterministic per candidate and differ between candidates and models', () => {
    expect(evaluationIdFor('m', 'run-1')).toBe(evaluationIdFor('m', 'run-1'));
    expect(evaluationIdFor('m', 'run-1')).not.toBe(evaluationIdFor('m', 'run-2'));
    expect(evaluationIdFor('m', 'run-1')).not.toBe(evaluationIdFor('n', 'run-1'));
    // The separator keeps ("a-b", "c") and ("a", "b-c") apart.
    expect(evaluationIdFor('a-b', 'c')).not.toBe(evaluationIdFor('a', 'b-c'));
    expect(rollbackEvaluationIdFor('m', 'cmd-1')).toMatch(/^ev-rollback-[0-9a-f]{24}$/);
  });
});

describe('nextVersion', () => {
  it.each([
    [null, 1],
    [1, 2],
    [41, 42],
  ])('after %p comes %p', (seen, next) => expect(nextVersion(seen)).toBe(next));
});

describe('buildModelReady', () => {
  it('carries the artifact, the rescored metrics, the profile and the lineage back to the drift evidence', () => {
    const ready = buildModelReady({ completed, evaluation, request, version: 8, parentVersion: 7, cause: 'PROMOTION', promotedAt: 123 });
    expect(ready).toEqual({
      modelId: completed.modelId,
      version: 8,
      artifactUri: completed.artifactUri,
      artifactSha256: completed.artifactSha256,
      modelFormat: completed.modelFormat,
      metrics: evaluation.candidateMetrics,
      profile: completed.profile,
      lineage: {
        requestId: completed.requestId,
        runId: completed.runId,
        evaluationId: evaluation.evaluationId,
        reason: 'DRIFT',
        driftEvidence: request.drift,
        dataWindow: completed.dataWindow,
        parentVersion: 7,
      },
      promotedAt: 123,
      cause: 'PROMOTION',
      restoredVersion: null,
      leaderEpoch: null, // stamped by the engine when it publishes
    });
  });

  it('tolerates a missing request (lineage says MANUAL, no evidence) and a missing profile', () => {
    const ready = buildModelReady({ completed: { ...completed, profile: null }, evaluation, request: null, version: 1, parentVersion: null, cause: 'FORCED', promotedAt: 1 });
    expect(ready.lineage).toMatchObject({ reason: 'MANUAL', driftEvidence: null, parentVersion: null });
    expect(ready.profile).toEqual(EMPTY_PROFILE);
    expect(ready.cause).toBe('FORCED');
  });

  it('refuses a result without an artifact', () => {
    const failed = MINIMAL_SAMPLE_EVENTS.TrainingCompleted;
    expect(() => buildModelReady({ completed: failed, evaluation, request, version: 1, parentVersion: null, cause: 'PROMOTION', promotedAt: 1 })).toThrow(
      expect.objectContaining({ code: 'VALIDATION', retriable: false }),
    );
  });
});

describe('buildRollbackReady', () => {
  it('re-publishes the earlier version under a new version, naming what it restores', () => {
    const earlier = { ...SAMPLE_EVENTS.ModelReady, version: 3, cause: 'PROMOTION' as const, restoredVersion: null };
    const ready = buildRollbackReady(earlier, { version: 6, parentVersion: 5, evaluationId: 'ev-rollback-x', promotedAt: 999 });
    expect(ready).toEqual({
      ...earlier,
      version: 6,
      lineage: { ...earlier.lineage, evaluationId: 'ev-rollback-x', parentVersion: 5 },
      promotedAt: 999,
      cause: 'ROLLBACK',
      restoredVersion: 3,
    });
  });
});
