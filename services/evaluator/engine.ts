import type { ArtifactStore } from '../../lib/artifacts';
import type { EventBus } from '../../lib/bus';
import { resolveModel, type Catalog, type ModelSpec } from '../../lib/catalog';
import type { Clock } from '../../lib/clock';
import type { PlatformCodec } from '../../lib/codec';
import { ErrorCodes, RoundhouseError, errorCode, errorMessage, isRetriable } from '../../lib/errors';
import type { EvaluationMode, EvaluationOverride, GateResult, ModelEvaluated, ModelMetrics, ModelReady, PromotionCause, TrainingCompleted } from '../../lib/events';
import type { Logger } from '../../lib/log';
import type { LogisticModel } from '../../lib/model';
import { loadCandidate, loadChampionModel, type LoadProblem } from './artifacts';
import type { EvaluatorCommand } from './commands';
import { buildEvaluation, unmeasuredMetrics } from './core/evaluation';
import { decidePromotion, type PromotionDecision } from './core/gates';
import { evaluationIdFor, rollbackEvaluationIdFor } from './core/ids';
import { buildModelReady, buildRollbackReady, nextVersion } from './core/ready';
import { requestToPromotionMs } from './core/latency';
import { rescore } from './core/rescore';
import type { ArtifactLimits } from './limits';
import { KeyedLock } from './lock';
import type { EvaluatorMetrics } from './metrics';
import { COMMAND_ID_HEADER, EvaluatorState, type ForceCommand } from './state';

/**
 * The evaluator's effects, one model at a time. Each step is a reconcile
 * (STYLE.md item 4): look at what is already published for the candidate or
 * command, publish only what is missing, in the order ModelEvaluated then
 * ModelReady, so a crash between the two is finished by the redelivery.
 */
export interface EngineDeps {
  readonly bus: EventBus;
  readonly codec: PlatformCodec;
  readonly catalog: Catalog;
  readonly artifacts: ArtifactStore;
  /** How much of an artifact is read (limits.ts). */
  readonly limits: ArtifactLimits;
  readonly state: EvaluatorState;
  readonly metrics: EvaluatorMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The fencing epoch this evaluator leads with (lib/leader), stamped on what it publishes; default 0. */
  readonly leaderEpoch?: () => number;
}

export interface EvaluatorEngine {
  onCompleted(completed: TrainingCompleted): Promise<void>;
  onCommand(command: EvaluatorCommand): Promise<void>;
}

interface Judgement {
  readonly verdict: PromotionDecision;
  readonly mode: EvaluationMode;
  readonly candidateMetrics: ModelMetrics;
  readonly championMetrics: ModelMetrics | null;
  readonly integrityPassed: boolean;
}

const METRICS_GATE = 'candidate-metrics';

function refused(code: typeof ErrorCodes.NOT_FOUND | typeof ErrorCodes.CONFLICT, message: string, command: EvaluatorCommand): RoundhouseError {
  return new RoundhouseError(code, message, { retriable: false, context: { commandId: command.commandId, modelId: command.modelId, action: command.action } });
}

export function createEvaluatorEngine(deps: EngineDeps): EvaluatorEngine {
  const { state, metrics, clock, codec } = deps;
  const lock = new KeyedLock();
  const label = (modelId: string): string => resolveModel(deps.catalog, modelId)?.id ?? 'unknown';
  const headers = (commandId: string | null): Record<string, string> => (commandId === null ? {} : { [COMMAND_ID_HEADER]: commandId });

  function specFor(modelId: string): ModelSpec {
    const spec = resolveModel(deps.catalog, modelId);
    if (!spec) throw new RoundhouseError(ErrorCodes.NOT_FOUND, `model ${modelId} is not in the catalog`, { retriable: false, context: { modelId } });
    return spec;
  }

  function noteProblem(modelId: string, runId: string, problem: LoadProblem): void {
    metrics.errors.inc({ model: label(modelId), stage: problem.stage, code: problem.code });
    deps.logger.warn({ modelId, runId, stage: problem.stage, code: problem.code, reason: problem.message }, 'evaluation problem');
  }

  /** Measure the candidate (and the champion on the same rows, when both can be scored) and apply the gates. */
  async function judge(completed: TrainingCompleted, spec: ModelSpec, champion: ModelReady | undefined): Promise<Judgement> {
    const { modelId, runId } = completed;
    const candidate = await loadCandidate(deps.artifacts, completed, spec.data.labelField, deps.limits);
    for (const problem of candidate.problems) noteProblem(modelId, runId, problem);
    let rescored: { candidate: ModelMetrics; champion: ModelMetrics | null } | null = null;
    if (candidate.model !== null && candidate.holdout !== null) {
      let championModel: LogisticModel | null = null;
      if (champion) {
        try {
          championModel = await loadChampionModel(deps.artifacts, champion, deps.limits);
          if (championModel === null) deps.logger.info({ modelId, runId, format: champion.modelFormat }, 'champion format is not scorable; using reported metrics');
        } catch (error) {
          if (isRetriable(error)) throw error;
          noteProblem(modelId, runId, { stage: 'champion-artifact', code: errorCode(error), message: errorMessage(error) });
        }
      }
      if (!champion || championModel !== null) {
        try {
          rescored = rescore(candidate.model, championModel, candidate.holdout);
        } catch (error) {
          if (isRetriable(error)) throw error;
          noteProblem(modelId, runId, { stage: 'rescore', code: errorCode(error), message: errorMessage(error) });
        }
      }
    }
    const preconditions: GateResult[] = [candidate.integrity];
    let candidateMetrics = rescored?.candidate ?? candidate.reported;
    if (candidateMetrics === null) {
      candidateMetrics = unmeasuredMetrics(completed.holdoutRows, completed.holdoutPositives);
      preconditions.push({ gate: METRICS_GATE, metric: 'metricsAvailable', comparator: 'GTE', threshold: 1, observed: 0, passed: false, detail: 'no reported metrics and the holdout could not be rescored' });
    }
    const mode: EvaluationMode = rescored !== null ? 'RESCORED' : 'REPORTED';
    const championMetrics = rescored !== null ? rescored.champion : (champion?.metrics ?? null);
    const verdict = decidePromotion(candidateMetrics, championMetrics, spec.evaluation, { preconditions });
    return { verdict, mode, candidateMetrics, championMetrics, integrityPassed: candidate.integrity.passed };
  }

  const epoch = (): number => deps.leaderEpoch?.() ?? 0;

  async function publishEvaluation(unstamped: ModelEvaluated, commandId: string | null): Promise<void> {
    const evaluation: ModelEvaluated = { ...unstamped, leaderEpoch: epoch() };
    await deps.bus.publish([{ ...codec.message('ModelEvaluated', evaluation), headers: headers(commandId) }]);
    state.applyEvaluation(evaluation, commandId);
    const model = label(evaluation.modelId);
    metrics.decisions.inc({ model, decision: evaluation.decision, mode: evaluation.mode });
    const failed = evaluation.gates.filter((g) => !g.passed).map((g) => g.gate);
    // Gate failures count once per candidate: an override re-judges, but does not fail the gates again.
    if (evaluation.override === null) for (const gate of failed) metrics.gateFailures.inc({ model, gate });
    deps.logger.info(
      { modelId: evaluation.modelId, runId: evaluation.runId, evaluationId: evaluation.evaluationId, decision: evaluation.decision, mode: evaluation.mode, failed, override: evaluation.override },
      'evaluation published',
    );
  }

  async function publishReady(unstamped: ModelReady, commandId: string | null): Promise<void> {
    const ready: ModelReady = { ...unstamped, leaderEpoch: epoch() };
    await deps.bus.publish([{ ...codec.message('ModelReady', ready), headers: headers(commandId) }]);
    state.applyReady(ready, commandId);
    const model = label(ready.modelId);
    metrics.promotions.inc({ model, cause: ready.cause });
    // Family members share their family's label; a per-member version would be meaningless there.
    if (model === ready.modelId) metrics.championVersion.set({ model }, ready.version);
    deps.logger.info({ modelId: ready.modelId, version: ready.version, cause: ready.cause, restoredVersion: ready.restoredVersion, runId: ready.lineage.runId }, 'model ready published');
  }

  async function promote(
    completed: TrainingCompleted,
    evaluation: Pick<ModelEvaluated, 'evaluationId' | 'candidateMetrics'>,
    cause: Extract<PromotionCause, 'PROMOTION' | 'FORCED'>,
    commandId: string | null,
  ): Promise<void> {
    const request = state.request(completed.requestId) ?? null;
    const ready = buildModelReady({
      completed,
      evaluation,
      request,
      version: nextVersion(state.highestVersion(completed.modelId)),
      parentVersion: state.champion(completed.modelId)?.version ?? null,
      cause,
      promotedAt: clock.now(),
    });
    await publishReady(ready, commandId);
    const latency = request ? requestToPromotionMs(request, ready.promotedAt) : null;
    if (latency !== null) metrics.requestToPromotion.observe({ model: label(completed.modelId) }, latency / 1000);
  }

  async function evaluateCompleted(completed: TrainingCompleted): Promise<void> {
    state.applyResult(completed);
    const evaluationId = evaluationIdFor(completed.modelId, completed.runId);
    const known = state.evaluationSummary(evaluationId);
    if (known) {
      if (known.decision === 'PROMOTE' && state.promotedBy(evaluationId) === undefined) {
        // Published the evaluation, then stopped before its ModelReady: finish the promotion.
        const full = state.evaluation(evaluationId);
        const candidateMetrics = full?.candidateMetrics ?? completed.metrics ?? unmeasuredMetrics(completed.holdoutRows, completed.holdoutPositives);
        await promote(completed, { evaluationId, candidateMetrics }, known.overridden ? 'FORCED' : 'PROMOTION', null);
        return;
      }
      metrics.skipped.inc({ model: label(completed.modelId), reason: 'duplicate' });
      deps.logger.info({ modelId: completed.modelId, runId: completed.runId, evaluationId }, 'result already evaluated; nothing to do');
      return;
    }
    const pending = state.pendingOverride(completed.modelId, completed.runId);
    if (pending) {
      try {
        await applyForce(pending, completed);
        return;
      } catch (error) {
        if (isRetriable(error)) throw error;
        // The operator's decision cannot be carried out (e.g. the artifact failed verification): the gates decide.
        metrics.errors.inc({ model: label(completed.modelId), stage: 'command', code: errorCode(error) });
        deps.logger.warn({ commandId: pending.commandId, modelId: completed.modelId, runId: completed.runId, reason: errorMessage(error) }, 'waiting force decision refused');
      }
    }
    const spec = specFor(completed.modelId);
    const champion = state.champion(completed.modelId);
    const judged = await judge(completed, spec, champion);
    const evaluation = buildEvaluation({
      evaluationId,
      completed,
      verdict: judged.verdict,
      mode: judged.mode,
      candidateMetrics: judged.candidateMetrics,
      championMetrics: judged.championMetrics,
      championVersion: champion?.version ?? null,
      override: null,
      evaluatedAt: clock.now(),
    });
    await publishEvaluation(evaluation, null);
    if (evaluation.decision === 'PROMOTE') await promote(completed, evaluation, 'PROMOTION', null);
  }

  async function forceDecision(command: ForceCommand): Promise<void> {
    const completed = state.result(command.modelId, command.runId);
    if (!completed) {
      // Given before the run's result: carried out when the result arrives (the follower re-reads commands at start-up).
      state.applyCommand(command);
      deps.logger.info({ commandId: command.commandId, modelId: command.modelId, runId: command.runId, action: command.action }, 'no result for this run yet; the decision waits for it');
      return;
    }
    await applyForce(command, completed);
  }

  async function applyForce(command: ForceCommand, completed: TrainingCompleted): Promise<void> {
    const progress = state.commandProgress(command.commandId);
    const evaluationId = evaluationIdFor(command.modelId, command.runId);
    if (progress.evaluation) {
      // Redelivered after the evaluation was published: only a promotion can be left to do.
      if (command.action === 'FORCE_PROMOTE' && !progress.ready) {
        const full = state.evaluation(evaluationId);
        const candidateMetrics = full?.candidateMetrics ?? completed.metrics ?? unmeasuredMetrics(completed.holdoutRows, completed.holdoutPositives);
        await promote(completed, { evaluationId, candidateMetrics }, 'FORCED', command.commandId);
      }
      return;
    }
    const spec = specFor(command.modelId);
    const champion = state.champion(command.modelId);
    if (champion && champion.lineage.runId === command.runId) {
      throw refused(
        ErrorCodes.CONFLICT,
        command.action === 'FORCE_PROMOTE'
          ? `run ${command.runId} is already the champion (version ${champion.version})`
          : `run ${command.runId} is the champion (version ${champion.version}): roll back to an earlier version instead`,
        command,
      );
    }
    const judged = await judge(completed, spec, champion);
    if (command.action === 'FORCE_PROMOTE' && !judged.integrityPassed) {
      throw refused(ErrorCodes.CONFLICT, `run ${command.runId}'s artifact failed verification; it cannot be promoted`, command);
    }
    const override: EvaluationOverride = { action: command.action, actor: command.actor, reason: command.reason };
    const evaluation = buildEvaluation({
      evaluationId,
      completed,
      verdict: judged.verdict,
      mode: judged.mode,
      candidateMetrics: judged.candidateMetrics,
      championMetrics: judged.championMetrics,
      championVersion: champion?.version ?? null,
      override,
      evaluatedAt: clock.now(),
    });
    await publishEvaluation(evaluation, command.commandId);
    if (command.action === 'FORCE_PROMOTE') await promote(completed, evaluation, 'FORCED', command.commandId);
    metrics.overrides.inc({ model: label(command.modelId), action: command.action });
  }

  async function rollback(command: Extract<EvaluatorCommand, { action: 'ROLLBACK' }>): Promise<void> {
    const progress = state.commandProgress(command.commandId);
    if (progress.ready) return;
    const champion = state.champion(command.modelId);
    const target = state.version(command.modelId, command.targetVersion);
    if (!champion || !target) {
      throw refused(ErrorCodes.NOT_FOUND, `version ${command.targetVersion} of model ${command.modelId} is not known (never published, or compacted away)`, command);
    }
    const evaluationId = rollbackEvaluationIdFor(command.modelId, command.commandId);
    if (!progress.evaluation) {
      if (champion.version === target.version) throw refused(ErrorCodes.CONFLICT, `version ${target.version} is already the champion`, command);
      await publishEvaluation(
        {
          evaluationId,
          modelId: command.modelId,
          runId: target.lineage.runId,
          requestId: target.lineage.requestId,
          decision: 'PROMOTE',
          mode: 'REPORTED',
          gates: [],
          candidateMetrics: target.metrics,
          championMetrics: champion.metrics,
          championVersion: champion.version,
          override: { action: 'ROLLBACK', actor: command.actor, reason: command.reason },
          evaluatedAt: clock.now(),
          leaderEpoch: null,
        },
        command.commandId,
      );
    }
    const ready = buildRollbackReady(target, {
      version: nextVersion(state.highestVersion(command.modelId)),
      parentVersion: champion.version,
      evaluationId,
      promotedAt: clock.now(),
    });
    await publishReady(ready, command.commandId);
    metrics.overrides.inc({ model: label(command.modelId), action: command.action });
  }

  return {
    onCompleted: async (completed) => {
      if (completed.status !== 'SUCCEEDED') {
        metrics.skipped.inc({ model: label(completed.modelId), reason: 'failed' });
        deps.logger.info({ modelId: completed.modelId, runId: completed.runId, failure: completed.failure }, 'training failed; nothing to evaluate');
        return;
      }
      await lock.run(completed.modelId, () => evaluateCompleted(completed));
    },
    onCommand: (command) =>
      lock.run(command.modelId, async () => {
        deps.logger.info({ commandId: command.commandId, modelId: command.modelId, action: command.action, actor: command.actor, source: command.source }, 'operator command');
        if (command.action === 'ROLLBACK') await rollback(command);
        else await forceDecision(command);
      }),
  };
}
