import type { ExecutorKind } from '../../../lib/events';
import type { Logger } from '../../../lib/log';
import type { RunSpec } from '../../../lib/runspec';
import { FAILURE_CODES, verdictForExit } from '../core/failure';
import type { JobRun } from '../core/job';
import { jobNameFor } from '../core/names';
import type { Observation, RunRef } from '../core/types';
import type { TrainingExecutor } from './types';

/**
 * Runs the trainer as a function in this process: the embedded demo's executor,
 * where the in-memory bus exists only inside the process (a child process could
 * not reach it). Same run spec, same exit-code semantics as the local executor
 * (BAD_INPUT fails at once, anything else is retried up to the catalog's
 * retries); it reports itself as the local executor.
 */
export type TrainFunction = (spec: RunSpec) => Promise<number>;

interface InProcessRun {
  readonly ref: RunRef;
  readonly jobName: string;
  phase: Observation['phase'];
  attempt: number;
  message: string | null;
  failure: Observation['failure'];
}

export class InProcessExecutor implements TrainingExecutor {
  readonly kind: ExecutorKind = 'local';
  private readonly runs = new Map<string, InProcessRun>();
  private readonly listeners = new Set<(runId: string) => void>();

  constructor(
    private readonly train: TrainFunction,
    private readonly logger: Logger,
    private readonly retries = 1,
  ) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.listeners.clear();
  }

  async submit(run: JobRun, spec: RunSpec): Promise<{ readonly jobName: string }> {
    const jobName = jobNameFor(run.modelId, run.runId, run.nonce);
    if (this.attemptOf(run)) return { jobName };
    const state: InProcessRun = { ref: { runId: run.runId, modelId: run.modelId, nonce: run.nonce }, jobName, phase: 'PENDING', attempt: 1, message: null, failure: null };
    this.runs.set(run.runId, state);
    // Start on the next tick: submit() returns before the run makes progress, as with a Job.
    setImmediate(() => void this.execute(state, spec));
    return { jobName: state.jobName };
  }

  private async execute(state: InProcessRun, spec: RunSpec): Promise<void> {
    for (;;) {
      this.update(state, { phase: 'RUNNING' });
      let code: number | null;
      try {
        code = await this.train(spec);
      } catch (error) {
        this.logger.error({ err: error, runId: state.ref.runId }, 'in-process trainer crashed');
        code = null;
      }
      if (state.phase !== 'RUNNING') return; // cancelled meanwhile
      const verdict = verdictForExit(code);
      if (verdict.outcome === 'success') return this.update(state, { phase: 'SUCCEEDED', message: 'trainer exited 0' });
      if (verdict.outcome === 'fail') return this.update(state, { phase: 'FAILED', message: verdict.failure.message, failure: verdict.failure });
      if (state.attempt > this.retries) {
        return this.update(state, {
          phase: 'FAILED',
          message: `trainer failed ${state.attempt} time(s) (last exit ${code})`,
          failure: { code: FAILURE_CODES.BACKOFF_LIMIT_EXCEEDED, message: `trainer failed ${state.attempt} time(s)`, retriable: true },
        });
      }
      state.attempt++;
    }
  }

  private update(state: InProcessRun, change: Partial<Pick<InProcessRun, 'phase' | 'message' | 'failure'>>): void {
    Object.assign(state, change);
    for (const listener of this.listeners) listener(state.ref.runId);
  }

  /** This attempt's state; another attempt of the run id (another nonce) is not it. */
  private attemptOf(run: RunRef): InProcessRun | undefined {
    const state = this.runs.get(run.runId);
    return state?.jobName === jobNameFor(run.modelId, run.runId, run.nonce) ? state : undefined;
  }

  async observe(run: RunRef): Promise<Observation | null> {
    const state = this.attemptOf(run);
    return state ? { jobName: state.jobName, phase: state.phase, attempt: state.attempt, message: state.message, failure: state.failure } : null;
  }

  async cancel(run: RunRef): Promise<void> {
    const state = this.attemptOf(run);
    if (state && (state.phase === 'PENDING' || state.phase === 'RUNNING')) {
      this.update(state, { phase: 'FAILED', message: 'cancelled', failure: { code: FAILURE_CODES.CANCELLED, message: 'cancelled', retriable: false } });
    }
  }

  watch(onChange: (runId: string) => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  async list(): Promise<readonly { readonly runId: string; readonly observation: Observation }[]> {
    return [...this.runs.values()].map((s) => ({ runId: s.ref.runId, observation: { jobName: s.jobName, phase: s.phase, attempt: s.attempt, message: s.message, failure: s.failure } }));
  }
}
