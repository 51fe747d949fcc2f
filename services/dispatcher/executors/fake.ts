import type { ExecutorKind, FailureInfo } from '../../../lib/events';
import type { RunSpec } from '../../../lib/runspec';
import type { JobRun } from '../core/job';
import { jobNameFor } from '../core/names';
import type { ExecutionPhase, Observation, RunRef } from '../core/types';
import type { TrainingExecutor } from './types';

export interface FakeWorkload {
  readonly run: JobRun;
  readonly runSpec: RunSpec;
  phase: ExecutionPhase;
  attempt: number;
  message: string | null;
  failure: FailureInfo | null;
  cancelled: boolean;
}

export type FakeCall = { readonly op: 'submit' | 'observe' | 'cancel'; readonly runId: string };

/**
 * A recording TrainingExecutor for tests: it keeps workloads in a map (the
 * "cluster", one workload per run id: its latest attempt), records every call, lets a test drive phases and inject failures,
 * and tracks the most runs of one model ever active at once. Share one instance
 * between two app instances to play a dispatcher restart against the same cluster.
 */
export class RecordingExecutor implements TrainingExecutor {
  readonly workloads = new Map<string, FakeWorkload>();
  readonly calls: FakeCall[] = [];
  /** Highest number of simultaneously active (PENDING/RUNNING, not cancelled) workloads per model. */
  readonly maxActivePerModel = new Map<string, number>();
  private readonly listeners = new Set<(runId: string) => void>();
  private readonly submitErrors: unknown[] = [];
  private readonly observeErrors: unknown[] = [];

  constructor(readonly kind: ExecutorKind = 'kubernetes') {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async submit(run: JobRun, runSpec: RunSpec): Promise<{ jobName: string }> {
    this.calls.push({ op: 'submit', runId: run.runId });
    const error = this.submitErrors.shift();
    if (error !== undefined) throw error;
    // Another attempt of the run id (another nonce, so another Job name) replaces the old one here.
    if (this.workloads.get(run.runId)?.run.nonce !== run.nonce) {
      this.workloads.set(run.runId, { run, runSpec, phase: 'PENDING', attempt: 1, message: null, failure: null, cancelled: false });
      this.trackActive(run.modelId);
    }
    return { jobName: jobNameFor(run.modelId, run.runId, run.nonce) };
  }

  async observe(ref: RunRef): Promise<Observation | null> {
    this.calls.push({ op: 'observe', runId: ref.runId });
    const error = this.observeErrors.shift();
    if (error !== undefined) throw error;
    const w = this.attemptOf(ref);
    if (!w) return null;
    return { jobName: jobNameFor(w.run.modelId, w.run.runId, w.run.nonce), phase: w.phase, attempt: w.attempt, message: w.message, failure: w.failure };
  }

  async cancel(ref: RunRef): Promise<void> {
    this.calls.push({ op: 'cancel', runId: ref.runId });
    const w = this.attemptOf(ref);
    // Like a Job deleted with propagation Background: it is gone.
    if (w) {
      w.cancelled = true;
      this.workloads.delete(ref.runId);
    }
  }

  watch(onChange: (runId: string) => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  async list(): Promise<{ runId: string; observation: Observation }[]> {
    const out: { runId: string; observation: Observation }[] = [];
    for (const w of this.workloads.values()) {
      out.push({ runId: w.run.runId, observation: (await this.observe(w.run))! });
    }
    return out;
  }

  /** The workload of this attempt: as with Jobs found by name, another nonce's is not it. */
  private attemptOf(ref: RunRef): FakeWorkload | undefined {
    const w = this.workloads.get(ref.runId);
    return w?.run.nonce === ref.nonce ? w : undefined;
  }

  // --- test controls ---

  /** Move a workload to a phase (as the cluster would) and notify watchers. */
  setPhase(runId: string, phase: ExecutionPhase, extra: { attempt?: number; message?: string | null; failure?: FailureInfo | null } = {}): void {
    const w = this.workloads.get(runId);
    if (!w) throw new Error(`fake executor has no workload for ${runId}`);
    w.phase = phase;
    if (extra.attempt !== undefined) w.attempt = extra.attempt;
    if (extra.message !== undefined) w.message = extra.message;
    if (extra.failure !== undefined) w.failure = extra.failure;
    this.notify(runId);
  }

  /** Remove a workload behind the dispatcher's back (TTL, kubectl delete). */
  remove(runId: string): void {
    this.workloads.delete(runId);
    this.notify(runId);
  }

  failNextSubmit(error: unknown): void {
    this.submitErrors.push(error);
  }

  failNextObserve(error: unknown): void {
    this.observeErrors.push(error);
  }

  notify(runId: string): void {
    for (const listener of this.listeners) listener(runId);
  }

  submitted(): string[] {
    return this.calls.filter((c) => c.op === 'submit').map((c) => c.runId);
  }

  activeCount(modelId: string): number {
    return [...this.workloads.values()].filter((w) => w.run.modelId === modelId && (w.phase === 'PENDING' || w.phase === 'RUNNING')).length;
  }

  private trackActive(modelId: string): void {
    this.maxActivePerModel.set(modelId, Math.max(this.maxActivePerModel.get(modelId) ?? 0, this.activeCount(modelId)));
  }
}
