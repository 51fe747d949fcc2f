import type { V1Job } from '@kubernetes/client-node';
import { ErrorCodes, RoundhouseError, errorCode } from '../../../../lib/errors';
import type { Logger } from '../../../../lib/log';
import { silentLogger } from '../../../../lib/log';
import type { RunSpec } from '../../../../lib/runspec';
import { failureForJobReason } from '../../core/failure';
import { JobOptions, JobRun, desiredJob, ownershipProblem } from '../../core/job';
import { LABELS, MANAGED_SELECTOR, jobNameFor } from '../../core/names';
import { jobPhase } from '../../core/phase';
import type { Observation, RunRef } from '../../core/types';
import type { TrainingExecutor } from '../types';
import type { JobInformer } from './informer';
import type { JobsApi } from './jobs-api';

export interface KubernetesExecutorDeps {
  /** Already guarded (rate limit + retries), see guardedJobsApi. */
  readonly api: JobsApi;
  readonly informer: JobInformer;
  readonly jobOptions: JobOptions;
  readonly logger?: Logger;
  readonly onError?: (operation: string, error: unknown) => void;
}

/** A Job's phase as the engine sees it. */
export function observationOf(job: V1Job): Observation {
  const phase = jobPhase(job);
  const jobName = job.metadata?.name ?? '';
  switch (phase.phase) {
    case 'PENDING':
      return { jobName, phase: 'PENDING', attempt: phase.attempt, message: phase.suspended ? 'suspended (waiting for Kueue admission)' : null, failure: null };
    case 'RUNNING':
      return { jobName, phase: 'RUNNING', attempt: phase.attempt, message: null, failure: null };
    case 'SUCCEEDED':
      return { jobName, phase: 'SUCCEEDED', attempt: phase.attempt, message: phase.message, failure: null };
    case 'FAILED': {
      const failure = failureForJobReason(phase.reason, phase.message);
      return { jobName, phase: 'FAILED', attempt: phase.attempt, message: failure.message, failure };
    }
  }
}

/**
 * Training runs as batch/v1 Jobs. submit is create-if-absent: a 409 means the
 * deterministic name exists, so the Job is read and its labels checked — ours for
 * this run: carry on; anything else: CONFLICT. Reads come from the informer's
 * cache, with a live GET on a miss (the cache lags a create by a watch event).
 * Cancel deletes with propagation Background, guarded by the Job's uid.
 */
export class KubernetesExecutor implements TrainingExecutor {
  readonly kind = 'kubernetes' as const;
  private readonly logger: Logger;

  constructor(private readonly deps: KubernetesExecutorDeps) {
    this.logger = (deps.logger ?? silentLogger()).child({ component: 'kubernetes-executor' });
  }

  async start(): Promise<void> {
    await this.deps.informer.start();
  }

  async stop(): Promise<void> {
    await this.deps.informer.stop();
  }

  async submit(run: JobRun, runSpec: RunSpec): Promise<{ jobName: string }> {
    const job = desiredJob(run, runSpec.model.training, runSpec, this.deps.jobOptions);
    const name = job.metadata!.name!;
    const cached = this.deps.informer.get(name);
    if (cached) return this.adopt(cached, run, name);
    try {
      await this.call('create', () => this.deps.api.create(job));
      this.logger.info({ runId: run.runId, job: name }, 'created job');
      return { jobName: name };
    } catch (error) {
      if (errorCode(error) !== ErrorCodes.CONFLICT) throw error;
    }
    // AlreadyExists: a previous attempt (or a previous dispatcher) created it, or someone else took the name.
    const existing = await this.call('read', () => this.deps.api.read(name));
    if (!existing) throw new RoundhouseError(ErrorCodes.KUBERNETES_UNAVAILABLE, `job ${name} was reported to exist but cannot be read`, { context: { runId: run.runId, job: name } });
    return this.adopt(existing, run, name);
  }

  async observe(ref: RunRef): Promise<Observation | null> {
    const job = await this.find(ref);
    return job ? observationOf(job) : null;
  }

  async cancel(ref: RunRef): Promise<void> {
    const job = await this.find(ref);
    if (!job) return;
    const name = job.metadata!.name!;
    await this.call('delete', () => this.deps.api.delete(name, job.metadata?.uid));
    this.logger.info({ runId: ref.runId, job: name }, 'deleted job');
  }

  watch(onChange: (runId: string) => void): () => void {
    let active = true;
    this.deps.informer.onChange((job) => {
      const runId = job.metadata?.labels?.[LABELS.runId];
      if (active && runId) onChange(runId);
    });
    return () => {
      active = false;
    };
  }

  async list(): Promise<{ runId: string; observation: Observation }[]> {
    const jobs = this.deps.informer.synced ? this.deps.informer.list() : await this.call('list', () => this.deps.api.list(MANAGED_SELECTOR));
    return jobs
      .filter((job) => job.metadata?.labels?.[LABELS.runId] && !job.metadata.deletionTimestamp)
      .map((job) => ({ runId: job.metadata!.labels![LABELS.runId]!, observation: observationOf(job) }));
  }

  /** The run's Job if it exists, is ours and is not being deleted. */
  private async find(ref: RunRef): Promise<V1Job | null> {
    const name = jobNameFor(ref.modelId, ref.runId, ref.nonce);
    const job = this.deps.informer.get(name) ?? (await this.call('read', () => this.deps.api.read(name)));
    if (!job || job.metadata?.deletionTimestamp) return null;
    const problem = ownershipProblem(job, ref);
    if (problem) {
      this.logger.warn({ runId: ref.runId, job: name, problem }, 'a job with our name is not ours; ignoring it');
      return null;
    }
    return job;
  }

  private adopt(job: V1Job, run: JobRun, name: string): { jobName: string } {
    const problem = ownershipProblem(job, run);
    if (problem) {
      throw new RoundhouseError(ErrorCodes.CONFLICT, `job ${name} exists and is not run ${run.runId}'s: ${problem}`, { context: { runId: run.runId, job: name } });
    }
    return { jobName: name };
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      // 404 and 409 are answers, not faults: create-if-absent expects them.
      const code = errorCode(error);
      if (code !== ErrorCodes.CONFLICT && code !== ErrorCodes.NOT_FOUND) this.deps.onError?.(operation, error);
      throw error;
    }
  }
}
