import type { ExecutorKind } from '../../../lib/events';
import type { RunSpec } from '../../../lib/runspec';
import type { JobRun } from '../core/job';
import type { Observation, RunRef } from '../core/types';

/**
 * Where training runs execute, in our words (STYLE.md item 2). Kubernetes Jobs
 * in production, a child process for the embedded default, a recording fake in
 * tests. Every method is idempotent: the engine calls them from resyncs, watch
 * notifications and the Kafka handler, any number of times.
 *
 * Errors are RoundhouseErrors: retriable ones (KUBERNETES_UNAVAILABLE, TIMEOUT)
 * mean "try again at the next sync"; CONFLICT from submit means the name is
 * taken by a workload that is not this run's; VALIDATION means the platform
 * refused the workload (both fail the run).
 */
export interface TrainingExecutor {
  readonly kind: ExecutorKind;
  /** Start background machinery (informers); resolves once observe() can be trusted. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Create the run's workload unless it exists (then verify it is this run's). Returns its name. */
  submit(run: JobRun, runSpec: RunSpec): Promise<{ readonly jobName: string }>;
  /** The run's workload and its phase; null when there is none. */
  observe(run: RunRef): Promise<Observation | null>;
  /** Stop the run's workload; a no-op when there is none. */
  cancel(run: RunRef): Promise<void>;
  /** Be told when a run's workload may have changed; returns an unsubscribe function. */
  watch(onChange: (runId: string) => void): () => void;
  /** Every run that currently has a workload (start-up looks for orphans). */
  list(): Promise<readonly { readonly runId: string; readonly observation: Observation }[]>;
}
