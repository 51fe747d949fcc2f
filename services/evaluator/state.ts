import type { EvaluatorCommand } from './commands';
import type { Decision, ModelEvaluated, ModelReady, RetrainRequested, TrainingCompleted } from '../../lib/events';

/**
 * What the evaluator knows from the topics it follows, rebuilt from the
 * beginning at every start (soft state, never checkpointed):
 * - roundhouse.model-ready: every version per model (rollback targets, the
 *   champion = highest version, the next version number);
 * - roundhouse.evaluations: which candidates are judged and which commands
 *   were executed (the command id travels in a header), for idempotency;
 * - roundhouse.retrain-requests: the request behind a run (lineage, drift
 *   evidence, time to promotion); bounded, tolerated missing;
 * - roundhouse.training-results: recent successful results per model, so a
 *   person can force-promote or force-reject a candidate by run id;
 * - roundhouse.evaluator-commands: force decisions given before their run's
 *   result arrived, applied when it does.
 */

export type ForceCommand = Extract<EvaluatorCommand, { action: 'FORCE_PROMOTE' | 'FORCE_REJECT' }>;

/** Header carrying the operator command that produced an event. */
export const COMMAND_ID_HEADER = 'roundhouse.command-id';

export interface EvaluationSummary {
  readonly modelId: string;
  readonly runId: string;
  readonly decision: Decision;
  readonly overridden: boolean;
}

/** Which of its events an operator command has already published. */
export interface CommandProgress {
  readonly evaluation: boolean;
  readonly ready: boolean;
}

export interface StateLimits {
  readonly requests: number;
  readonly resultsPerModel: number;
  /** Full ModelEvaluated records kept (the rest as summaries). */
  readonly evaluations: number;
}

export const DEFAULT_STATE_LIMITS: StateLimits = { requests: 20_000, resultsPerModel: 50, evaluations: 2_000 };

/** Insertion-ordered map that forgets its oldest entries beyond `limit`. */
class Bounded<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as string);
  }
  get(key: string): V | undefined {
    return this.map.get(key);
  }
}

export class EvaluatorState {
  private readonly versions = new Map<string, Map<number, ModelReady>>();
  private readonly readyByEvaluation = new Map<string, number>();
  private readonly summaries = new Map<string, EvaluationSummary>();
  private readonly evaluations: Bounded<ModelEvaluated>;
  private readonly commands = new Map<string, CommandProgress>();
  private readonly requests: Bounded<RetrainRequested>;
  private readonly results = new Map<string, Bounded<TrainingCompleted>>();
  private readonly pending = new Map<string, ForceCommand>();
  /** Per model, the epoch of the last promotion applied; and the highest epoch of anything followed. */
  private readonly readyEpochs = new Map<string, number>();
  private highestEpoch = -1;

  constructor(private readonly limits: StateLimits = DEFAULT_STATE_LIMITS) {
    this.evaluations = new Bounded(limits.evaluations);
    this.requests = new Bounded(limits.requests);
  }

  /**
   * A promotion, unless a deposed evaluator's late one: an epoch below the
   * highest already seen for the model (lib/leader) is ignored ('stale'), so a
   * zombie cannot renumber or replace its successor's versions. No epoch
   * (events from before leader election) ranks below every epoch.
   */
  applyReady(event: ModelReady, commandId: string | null = null): 'applied' | 'stale' {
    const epoch = event.leaderEpoch ?? -1;
    this.highestEpoch = Math.max(this.highestEpoch, epoch);
    if (epoch < (this.readyEpochs.get(event.modelId) ?? -1)) return 'stale';
    this.readyEpochs.set(event.modelId, epoch);
    let versions = this.versions.get(event.modelId);
    if (!versions) this.versions.set(event.modelId, (versions = new Map()));
    versions.set(event.version, event);
    this.readyByEvaluation.set(event.lineage.evaluationId, event.version);
    if (commandId !== null) this.commands.set(commandId, { ...this.commandProgress(commandId), ready: true });
    return 'applied';
  }

  /** The highest leader epoch in what was followed (-1: none, or events from before leader election). */
  highestLeaderEpoch(): number {
    return this.highestEpoch;
  }

  applyEvaluation(event: ModelEvaluated, commandId: string | null = null): void {
    this.highestEpoch = Math.max(this.highestEpoch, event.leaderEpoch ?? -1);
    this.summaries.set(event.evaluationId, { modelId: event.modelId, runId: event.runId, decision: event.decision, overridden: event.override !== null });
    this.evaluations.set(event.evaluationId, event);
    if (commandId !== null) this.commands.set(commandId, { ...this.commandProgress(commandId), evaluation: true });
  }

  applyRequest(event: RetrainRequested): void {
    this.requests.set(event.requestId, event);
  }

  applyResult(event: TrainingCompleted): void {
    if (event.status !== 'SUCCEEDED') return;
    let results = this.results.get(event.modelId);
    if (!results) this.results.set(event.modelId, (results = new Bounded(this.limits.resultsPerModel)));
    results.set(event.runId, event);
  }

  /** A force decision is remembered per candidate; the latest one given wins. */
  applyCommand(command: EvaluatorCommand): void {
    if (command.action === 'ROLLBACK') return;
    this.pending.set(`${command.modelId}\u0000${command.runId}`, command);
  }

  /** The force decision waiting for this candidate's result, unless already carried out. */
  pendingOverride(modelId: string, runId: string): ForceCommand | undefined {
    const command = this.pending.get(`${modelId}\u0000${runId}`);
    return command && !this.commandProgress(command.commandId).evaluation ? command : undefined;
  }

  /** The current champion: the highest version (a rollback is a new, higher version). */
  champion(modelId: string): ModelReady | undefined {
    const versions = this.versions.get(modelId);
    if (!versions || versions.size === 0) return undefined;
    return versions.get(Math.max(...versions.keys()));
  }

  version(modelId: string, version: number): ModelReady | undefined {
    return this.versions.get(modelId)?.get(version);
  }

  highestVersion(modelId: string): number | null {
    const versions = this.versions.get(modelId);
    return versions && versions.size > 0 ? Math.max(...versions.keys()) : null;
  }

  /** The version a given evaluation promoted, if it did. */
  promotedBy(evaluationId: string): number | undefined {
    return this.readyByEvaluation.get(evaluationId);
  }

  evaluationSummary(evaluationId: string): EvaluationSummary | undefined {
    return this.summaries.get(evaluationId);
  }

  evaluation(evaluationId: string): ModelEvaluated | undefined {
    return this.evaluations.get(evaluationId);
  }

  commandProgress(commandId: string): CommandProgress {
    return this.commands.get(commandId) ?? { evaluation: false, ready: false };
  }

  request(requestId: string): RetrainRequested | undefined {
    return this.requests.get(requestId);
  }

  result(modelId: string, runId: string): TrainingCompleted | undefined {
    return this.results.get(modelId)?.get(runId);
  }

  /** Champion versions per model (ops and tests). */
  championVersions(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const modelId of this.versions.keys()) {
      const version = this.highestVersion(modelId);
      if (version !== null) out.set(modelId, version);
    }
    return out;
  }
}
