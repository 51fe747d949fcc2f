import type { EventBus } from '../../lib/bus';
import type { PlatformCodec } from '../../lib/codec';
import type { FailureInfo, TrainingCompleted } from '../../lib/events';
import type { Logger } from '../../lib/log';
import type { Clock } from '../../lib/clock';
import { exitCodeFor, failureOf } from './core/failure';

export interface TrainingResult {
  /** The event published (or that would have been, when Kafka was unreachable). */
  readonly event: TrainingCompleted;
  readonly published: boolean;
  readonly failure: FailureInfo | null;
  /** TRAINER_EXIT: 0, BAD_INPUT (65) or RETRIABLE (75). */
  readonly exitCode: number;
}

/**
 * Publish the run's TrainingCompleted (keyed by modelId). A success that cannot
 * be announced is not a success: the run turns into a retriable failure, which
 * is announced if the broker lets us (it usually will not), and the trainer
 * exits RETRIABLE so the Job tries again; the rerun overwrites the artifact.
 */
export async function publishResult(event: TrainingCompleted, deps: { bus: EventBus; platformCodec: PlatformCodec; clock: Clock; logger: Logger }): Promise<TrainingResult> {
  try {
    await deps.bus.publish([deps.platformCodec.message('TrainingCompleted', event)]);
    deps.logger.info({ runId: event.runId, status: event.status, failure: event.failure }, 'published TrainingCompleted');
    return { event, published: true, failure: event.failure, exitCode: exitCodeFor(event.failure) };
  } catch (error) {
    const failure = event.failure ?? failureOf(error);
    deps.logger.error({ err: error, runId: event.runId }, 'could not publish TrainingCompleted');
    if (event.status === 'FAILED') return { event, published: false, failure, exitCode: exitCodeFor(failure) };
    const asFailure: TrainingCompleted = {
      ...event,
      status: 'FAILED',
      failure: { ...failure, message: `publishing the result failed: ${failure.message}` },
      artifactUri: null,
      artifactSha256: null,
      modelFormat: null,
      metrics: null,
      profile: null,
      holdoutUri: null,
      completedAt: deps.clock.now(),
    };
    const retry = await publishResult(asFailure, deps);
    return { ...retry, failure: asFailure.failure, exitCode: exitCodeFor(asFailure.failure) };
  }
}
