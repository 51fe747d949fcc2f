import { pinWindowOffsets, type EventBus, type InboundMessage } from '../../../lib/bus';
import type { Catalog } from '../../../lib/catalog';
import type { Clock } from '../../../lib/clock';
import type { PlatformCodec } from '../../../lib/codec';
import { ErrorCodes, RoundhouseError, errorCode, errorMessage, isRetriable } from '../../../lib/errors';
import type { FailureInfo, PartitionRange, RetrainRequested, RunState } from '../../../lib/events';
import type { Logger } from '../../../lib/log';
import { AdmissionRun, admit } from '../core/admission';
import { FAILURE_CODES } from '../core/failure';
import { inFlightPolicyOf, resolveModel } from '../core/models';
import { runIdFor } from '../core/names';
import { reconcile } from '../core/reconcile';
import { TransitionDetails, buildRunSpec, newRun, supersedes, transition } from '../core/run';
import { isTerminal } from '../core/states';
import type { Observation, RunRecord } from '../core/types';
import type { TrainingExecutor } from '../executors/types';
import type { DispatcherMetrics } from '../metrics';
import { runFromMessage, runMessage } from './messages';
import { SerialQueue } from './serial';
import { RunStore } from './store';

export interface EngineSettings {
  readonly maxConcurrentRuns: number;
  readonly lostJobGraceMs: number;
  readonly artifactRoot: string;
  /** Pinned data (lib/bus/pin.ts): how far before the window start the pinned ranges begin; default 5 min, the trainer's. */
  readonly timestampSlackMs?: number;
  /** How long pinning a new run's offsets may take before the run is created unpinned (default 5 s). */
  readonly pinTimeoutMs?: number;
}

/** The default of EngineSettings.pinTimeoutMs. */
export const DEFAULT_PIN_TIMEOUT_MS = 5000;

export interface EngineDeps {
  readonly bus: EventBus;
  readonly codec: PlatformCodec;
  readonly catalog: Catalog;
  readonly executor: TrainingExecutor;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: DispatcherMetrics;
  readonly settings: EngineSettings;
  /** A new run attempt's nonce (injected randomness; core/names.ts RUN_NONCE_PATTERN). */
  readonly newRunNonce: () => string;
}

/** Why a run is being synced: only a watch event or start-up looks for a workload of a run still queued. */
export type SyncCause = 'watch' | 'resync' | 'admission' | 'startup';

/** Enough steps for QUEUED → SUBMITTED → RUNNING → SUCCEEDED plus a delete. */
const MAX_STEPS = 6;

/**
 * The run controller. Every state change goes through one serial queue: it is
 * published to roundhouse.training-runs (with the run's next sequence number)
 * and only then applied in memory, so what others read on the topic is never
 * behind what the API answers. syncRun is the reconcile loop of STYLE.md item 4,
 * called from the Kafka handler (through admission), executor watch events and
 * the periodic resync.
 */
export class RunEngine {
  readonly store = new RunStore();
  private readonly queue = new SerialQueue();
  /** Cancelled runs whose workload may still exist: retried at every resync until gone. */
  private readonly pendingDeletes = new Set<string>();
  private pumpQueued = false;
  private readonly logger: Logger;
  /** The fencing epoch this dispatcher leads with (lib/leader), stamped on every event it publishes. */
  private leaderEpoch = 0;
  /** The highest epoch found in roundhouse.training-runs at rebuild. */
  private highestEpochSeen = -1;

  constructor(private readonly deps: EngineDeps) {
    this.logger = deps.logger.child({ component: 'run-engine' });
  }

  /** Lead with `epoch` from now on (before rebuild: main.ts passes the Lease's; single-process: 0). */
  setLeaderEpoch(epoch: number): void {
    this.leaderEpoch = epoch;
  }

  /** The highest leader epoch rebuild() saw (-1: none, or events from before leader election). */
  highestLeaderEpoch(): number {
    return this.highestEpochSeen;
  }

  // --- commands ---

  /**
   * Record the run for a request and publish its QUEUED event (idempotent: the
   * same request maps to the same run, and an existing run is returned as is).
   * NOT_FOUND for a model the catalog does not know, VALIDATION for bad
   * hyperparameters; both non-retriable.
   */
  async request(request: RetrainRequested): Promise<{ run: RunRecord; created: boolean }> {
    // Pinned data: a window without offsets gets them before the run exists, outside the serial
    // queue (a slow broker delays this request only), and only for a run not created yet.
    const known = this.store.get(runIdFor(request.requestId));
    const model = known ? undefined : resolveModel(this.deps.catalog, request.modelId);
    const partitions = known || !model || request.window.partitions.length > 0 ? request.window.partitions : await this.pin(request, model.data);
    return this.queue.run(async () => {
      const existing = this.store.get(runIdFor(request.requestId));
      if (existing) return { run: existing, created: false };
      const model = resolveModel(this.deps.catalog, request.modelId);
      if (!model) {
        throw new RoundhouseError(ErrorCodes.NOT_FOUND, `model "${request.modelId}" is not in the catalog`, {
          context: { modelId: request.modelId, requestId: request.requestId },
        });
      }
      // Drawn here, once: a redelivery of the request returned the existing run above, and keeps
      // the offsets pinned then, so every attempt of the run reads the same records.
      const pinned = partitions === request.window.partitions ? request : { ...request, window: { ...request.window, partitions } };
      const run = newRun(pinned, model, this.deps.executor.kind, this.deps.clock.now(), this.deps.newRunNonce());
      await this.publish(run, undefined);
      this.logger.info({ runId: run.runId, requestId: run.requestId, modelId: run.modelId, reason: run.reason }, 'run queued');
      return { run, created: true };
    });
  }

  /**
   * The run's pinned offsets (lib/bus/pin.ts), within pinTimeoutMs. On a missing
   * topic, a broker error or the deadline, the run is created unpinned (the
   * trainer then reads to the end offsets at its start, as before pinning):
   * logged as a warning and counted in
   * roundhouse_dispatcher_unpinned_runs_total{model,reason}.
   */
  private async pin(request: RetrainRequested, topics: { readonly featureTopic: string; readonly labelTopic: string }): Promise<PartitionRange[]> {
    const timeoutMs = this.deps.settings.pinTimeoutMs ?? DEFAULT_PIN_TIMEOUT_MS;
    const lookup = pinWindowOffsets(this.deps.bus, topics, request.window.startTime, this.deps.settings.timestampSlackMs);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RoundhouseError(ErrorCodes.TIMEOUT, `pinning took longer than ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([lookup, deadline]);
    } catch (error) {
      // A lookup still running after the deadline must not fail later unobserved.
      lookup.catch(() => undefined);
      const reason = errorCode(error) === ErrorCodes.TIMEOUT ? 'timeout' : errorCode(error) === ErrorCodes.NOT_FOUND ? 'topic_missing' : 'error';
      this.deps.metrics.unpinnedRuns.inc({ model: request.modelId, reason });
      this.logger.warn({ requestId: request.requestId, modelId: request.modelId, reason, err: errorMessage(error) }, 'run created without pinned offsets: its trainer reads to the end offsets at its start');
      return [];
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cancel a run that has not ended: CONFLICT if it has, NOT_FOUND if unknown. */
  cancel(runId: string, note = 'cancelled through the API'): Promise<RunRecord> {
    return this.queue.run(() => this.cancelNow(runId, { code: FAILURE_CODES.CANCELLED, message: note, retriable: false }));
  }

  /** Reconcile one run against its workload. Safe to call any number of times. */
  syncRun(runId: string, cause: SyncCause = 'resync'): Promise<void> {
    return this.queue.run(() => this.sync(runId, cause));
  }

  /** Apply admission: cancel superseded runs, start what may start. */
  pump(): Promise<void> {
    return this.queue.run(() => this.pumpNow());
  }

  /** Ask for a pump soon; requests arriving in a burst share one. */
  kick(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    void this.queue
      .run(async () => {
        this.pumpQueued = false;
        await this.pumpNow();
      })
      .catch((error: unknown) => this.logger.error({ err: error }, 'admission pass failed'));
  }

  /** Every run that may still change, then admission. */
  resync(): Promise<void> {
    return this.queue.run(async () => {
      for (const run of this.store.nonTerminal()) await this.sync(run.runId, 'resync');
      for (const runId of [...this.pendingDeletes]) await this.sync(runId, 'resync');
      await this.pumpNow();
    });
  }

  /** Resolves once every command queued so far has been applied (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  // --- start-up ---

  /** Rebuild the runs from roundhouse.training-runs (read to its end): the highest sequence per run wins. */
  async rebuild(messages: readonly InboundMessage[]): Promise<{ runs: number; skipped: number }> {
    await this.deps.codec.avro.prepare(messages.map((m) => m.value));
    let skipped = 0;
    for (const message of messages) {
      let run: RunRecord;
      try {
        run = runFromMessage(this.deps.codec, message);
      } catch (error) {
        skipped++;
        this.logger.warn({ partition: message.partition, offset: message.offset, code: errorCode(error), reason: errorMessage(error) }, 'skipping an unreadable run event');
        continue;
      }
      this.highestEpochSeen = Math.max(this.highestEpochSeen, run.leaderEpoch ?? -1);
      const current = this.store.get(run.runId);
      // A deposed leader's late write (a lower epoch) never replaces its successor's (core/run.ts).
      if (current && !supersedes(run, current)) continue;
      this.store.put(current ? { ...run, history: [...current.history, ...run.history] } : run);
    }
    this.refreshGauge();
    return { runs: this.store.size, skipped };
  }

  /**
   * Reconcile against the workloads that exist: every run with a Job is synced
   * (a QUEUED run whose Job was created just before a crash is adopted, not
   * recreated), and Jobs of runs we have no record of are reported.
   */
  adoptExisting(workloads: readonly { readonly runId: string; readonly observation: Observation }[]): Promise<void> {
    return this.queue.run(async () => {
      for (const { runId, observation } of workloads) {
        if (this.store.get(runId)) await this.sync(runId, 'startup');
        else this.logger.warn({ runId, job: observation.jobName }, 'a workload exists for a run with no record on the training-runs topic; leaving it alone');
      }
    });
  }

  // --- inside the queue ---

  private async sync(runId: string, cause: SyncCause): Promise<void> {
    for (let step = 0; step < MAX_STEPS; step++) {
      const run = this.store.get(runId);
      if (!run || !this.worthObserving(run, cause)) return;
      // Only an admission pass starts runs: it applies supersessions first.
      const admitted = run.state === 'QUEUED' && cause === 'admission' && this.admission().start.includes(runId);
      let observed: Observation | null;
      try {
        observed = await this.deps.executor.observe(run);
      } catch (error) {
        this.executorFailed('observe', run, error);
        return;
      }
      const action = reconcile({ run, observed, admitted, now: this.deps.clock.now(), lostJobGraceMs: this.deps.settings.lostJobGraceMs });
      switch (action.kind) {
        case 'none':
          if (run.state === 'CANCELLED') this.pendingDeletes.delete(runId);
          return;
        case 'transition':
          if (!(await this.apply(run, action.to, action.details))) return;
          break;
        case 'submit':
          if (!(await this.submit(run))) return;
          break;
        case 'delete':
          try {
            await this.deps.executor.cancel(run);
            this.pendingDeletes.delete(runId);
          } catch (error) {
            this.pendingDeletes.add(runId);
            this.executorFailed('cancel', run, error);
          }
          return;
      }
    }
  }

  /**
   * Whether looking at the workload can change anything. Ended runs are left
   * alone, except a cancelled one whose Job may still run. A queued run has no
   * workload unless admission is starting it, or a watch event or start-up says
   * one exists (created just before a crash: adopted, not recreated).
   */
  private worthObserving(run: RunRecord, cause: SyncCause): boolean {
    switch (run.state) {
      case 'SUCCEEDED':
      case 'FAILED':
        return false;
      case 'CANCELLED':
        return cause === 'watch' || cause === 'startup' || this.pendingDeletes.has(run.runId);
      case 'QUEUED':
        return cause !== 'resync';
      default:
        return true;
    }
  }

  /** Create the workload, then record SUBMITTED. False when nothing changed (retry later). */
  private async submit(run: RunRecord): Promise<boolean> {
    const model = resolveModel(this.deps.catalog, run.modelId);
    if (!model) {
      return this.apply(run, 'FAILED', {
        message: `model "${run.modelId}" is no longer in the catalog`,
        failure: { code: FAILURE_CODES.SUBMIT_REJECTED, message: `model "${run.modelId}" is not in the catalog`, retriable: false },
      });
    }
    try {
      const runSpec = buildRunSpec(run, model, { artifactRoot: this.deps.settings.artifactRoot });
      const { jobName } = await this.deps.executor.submit(run, runSpec);
      return this.apply(run, 'SUBMITTED', { jobName });
    } catch (error) {
      this.executorFailed('submit', run, error);
      if (isRetriable(error)) return false;
      return this.apply(run, 'FAILED', {
        message: `the executor refused the run: ${errorMessage(error)}`,
        failure: { code: FAILURE_CODES.SUBMIT_REJECTED, message: `${errorCode(error)}: ${errorMessage(error)}`, retriable: false },
      });
    }
  }

  private async cancelNow(runId: string, failure: FailureInfo): Promise<RunRecord> {
    const run = this.store.get(runId);
    if (!run) throw new RoundhouseError(ErrorCodes.NOT_FOUND, `run ${runId} does not exist`, { context: { runId } });
    if (isTerminal(run.state)) throw new RoundhouseError(ErrorCodes.CONFLICT, `run ${runId} has already ended (${run.state})`, { context: { runId, state: run.state } });
    // Record first, then delete: if we crash in between, the run is CANCELLED and
    // reconcile deletes the Job it still sees (the CANCELLED row of the table).
    await this.apply(run, 'CANCELLED', { message: failure.message, failure });
    const cancelled = this.store.get(runId)!;
    if (run.state !== 'QUEUED') {
      try {
        await this.deps.executor.cancel(run);
      } catch (error) {
        this.pendingDeletes.add(runId);
        this.executorFailed('cancel', run, error);
      }
    }
    return cancelled;
  }

  private async pumpNow(): Promise<void> {
    const decision = this.admission();
    for (const { runId, supersededBy } of decision.cancel) {
      await this.cancelNow(runId, { code: FAILURE_CODES.SUPERSEDED, message: `superseded by run ${supersededBy}`, retriable: false }).catch((error: unknown) =>
        this.logger.warn({ err: error, runId }, 'could not cancel a superseded run'),
      );
    }
    for (const runId of decision.start) await this.sync(runId, 'admission');
  }

  private admission(): { start: readonly string[]; cancel: readonly { runId: string; supersededBy: string }[] } {
    const runs: AdmissionRun[] = this.store.nonTerminal();
    return admit(runs, { maxConcurrent: this.deps.settings.maxConcurrentRuns, policyOf: (modelId) => inFlightPolicyOf(this.deps.catalog, modelId) });
  }

  /** Publish the state change, then apply it. False (and nothing published) if the table refuses it. */
  private async apply(run: RunRecord, to: RunState, details: TransitionDetails): Promise<boolean> {
    const result = transition(run, to, details, this.deps.clock.now());
    if (!result.ok) {
      this.deps.metrics.illegalTransitions.inc({ model: run.modelId, from: run.state, to });
      this.logger.warn({ runId: run.runId, from: run.state, to }, `ignoring ${result.reason}`);
      return false;
    }
    await this.publish(result.run, run);
    this.logger.info({ runId: run.runId, modelId: run.modelId, from: run.state, to, message: result.run.message }, 'run state changed');
    // A run that ended frees its model and a slot: let admission look again (after this task).
    if (isTerminal(to)) this.kick();
    return true;
  }

  private async publish(unstamped: RunRecord, previous: RunRecord | undefined): Promise<void> {
    const run: RunRecord = { ...unstamped, leaderEpoch: this.leaderEpoch };
    await this.deps.bus.publish([runMessage(this.deps.codec, run)]);
    this.store.put(run);
    const { metrics } = this.deps;
    if (previous) {
      metrics.runs.dec({ model: run.modelId, state: previous.state });
      metrics.transitions.inc({ model: run.modelId, from: previous.state, to: run.state });
    }
    metrics.runs.inc({ model: run.modelId, state: run.state });
    if (isTerminal(run.state)) {
      const started = run.history.find((h) => h.state === 'SUBMITTED')?.at ?? run.createdAt;
      metrics.runDuration.observe({ model: run.modelId, state: run.state }, Math.max(0, run.updatedAt - started) / 1000);
    }
  }

  private refreshGauge(): void {
    const counts = new Map<string, number>();
    for (const run of this.store.all()) {
      const key = `${run.modelId}\u0000${run.state}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    this.deps.metrics.runs.reset();
    for (const [key, count] of counts) {
      const [model, state] = key.split('\u0000') as [string, string];
      this.deps.metrics.runs.set({ model, state }, count);
    }
  }

  private executorFailed(operation: string, run: RunRecord, error: unknown): void {
    this.deps.metrics.executorErrors.inc({ executor: this.deps.executor.kind, operation, code: errorCode(error) });
    const log = isRetriable(error) ? this.logger.warn.bind(this.logger) : this.logger.error.bind(this.logger);
    log({ err: error, runId: run.runId, operation, retriable: isRetriable(error) }, `executor ${operation} failed`);
  }
}
