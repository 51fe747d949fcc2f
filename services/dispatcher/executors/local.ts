import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Clock, systemClock } from '../../../lib/clock';
import type { FailureInfo } from '../../../lib/events';
import type { Logger } from '../../../lib/log';
import { silentLogger } from '../../../lib/log';
import { RUN_SPEC_FILE_ENV, RunSpec, serializeRunSpec } from '../../../lib/runspec';
import { FAILURE_CODES, verdictForExit } from '../core/failure';
import type { JobRun } from '../core/job';
import { jobNameFor } from '../core/names';
import type { ExecutionPhase, Observation, RunRef } from '../core/types';
import type { TrainingExecutor } from './types';

/**
 * The embedded default: the trainer as a child process with the run spec in a
 * file (<workDir>/<runId>.spec.json, ROUNDHOUSE_RUN_SPEC_FILE; as an environment
 * variable a large spec exceeds Linux's 128 KiB per string), behaving like the
 * Job it stands in for. The catalog's deadline
 * bounds all attempts together (activeDeadlineSeconds); exit BAD_INPUT fails at
 * once, any other failure is retried up to `retries` times (podFailurePolicy);
 * cancel sends SIGTERM to the process group, then SIGKILL after a grace period.
 * stdout and stderr of every attempt go to <workDir>/<runId>.log, and the outcome
 * to <workDir>/<runId>.json, so a restarted dispatcher still sees how a run ended.
 * A run still going when the dispatcher stops is killed and recorded as failed:
 * unlike a Job, a child process does not outlive its parent's supervision.
 */

export interface LocalExecutorOptions {
  readonly workDir: string;
  /**
   * The trainer's whole base environment; the catalog env and the run spec's path go
   * on top. main.ts passes settings.local.env, an allowlist of its own (never all of
   * process.env: it holds the API tokens and the dispatcher's credentials).
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Replaces the catalog's command + args (e.g. ['npx', 'tsx', 'services/trainer/main.ts']). */
  readonly command?: readonly string[] | null;
  readonly cwd?: string;
  readonly killGraceMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

interface LocalRun {
  readonly ref: JobRun;
  readonly runSpec: RunSpec;
  readonly jobName: string;
  attempt: number;
  phase: ExecutionPhase;
  message: string | null;
  failure: FailureInfo | null;
  child: ChildProcess | null;
  ending: 'cancel' | 'deadline' | 'shutdown' | null;
  cancelDeadline: () => void;
  cancelKill: () => void;
  readonly exited: Promise<void>;
  resolveExited: () => void;
}

interface StatusFile {
  readonly runId: string;
  readonly jobName: string;
  readonly phase: ExecutionPhase;
  readonly attempt: number;
  readonly message: string | null;
  readonly failure: FailureInfo | null;
  readonly finishedAt: number;
}

const noop = (): void => undefined;

export class LocalExecutor implements TrainingExecutor {
  readonly kind = 'local' as const;
  private readonly runs = new Map<string, LocalRun>();
  private readonly listeners = new Set<(runId: string) => void>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly killGraceMs: number;

  constructor(private readonly options: LocalExecutorOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger()).child({ component: 'local-executor' });
    this.killGraceMs = options.killGraceMs ?? 10_000;
  }

  async start(): Promise<void> {
    mkdirSync(this.options.workDir, { recursive: true });
  }

  async stop(): Promise<void> {
    const live = [...this.runs.values()].filter((r) => r.child !== null);
    for (const run of live) this.terminate(run, 'shutdown');
    await Promise.all(live.map((r) => r.exited));
  }

  logPath(runId: string): string {
    return join(this.options.workDir, `${runId}.log`);
  }

  private statusPath(runId: string): string {
    return join(this.options.workDir, `${runId}.json`);
  }

  /** Readable by the dispatcher's user only: the spec names the model's data and artifacts. */
  specPath(runId: string): string {
    return join(this.options.workDir, `${runId}.spec.json`);
  }

  async submit(ref: JobRun, runSpec: RunSpec): Promise<{ jobName: string }> {
    const jobName = jobNameFor(ref.modelId, ref.runId, ref.nonce);
    if (this.liveRun(ref) || this.readStatus(ref)) return { jobName };
    mkdirSync(this.options.workDir, { recursive: true });
    let resolveExited = noop;
    const exited = new Promise<void>((resolve) => (resolveExited = resolve));
    const run: LocalRun = {
      ref,
      runSpec,
      jobName,
      attempt: 0,
      phase: 'PENDING',
      message: null,
      failure: null,
      child: null,
      ending: null,
      cancelDeadline: noop,
      cancelKill: noop,
      exited,
      resolveExited,
    };
    writeFileSync(this.specPath(ref.runId), serializeRunSpec(runSpec), { mode: 0o600 });
    this.runs.set(ref.runId, run);
    const deadlineMs = runSpec.model.training.deadlineMs;
    run.cancelDeadline = this.clock.schedule(deadlineMs, () => this.terminate(run, 'deadline'));
    this.spawnAttempt(run);
    return { jobName };
  }

  /**
   * This attempt's process (or its recorded outcome): files and processes are
   * per run id, and another attempt of the run id (a request id reused after
   * retention, another nonce and so another job name) is not this one.
   */
  private liveRun(ref: RunRef): LocalRun | undefined {
    const run = this.runs.get(ref.runId);
    return run?.jobName === jobNameFor(ref.modelId, ref.runId, ref.nonce) ? run : undefined;
  }

  async observe(ref: RunRef): Promise<Observation | null> {
    const run = this.liveRun(ref);
    if (run) return { jobName: run.jobName, phase: run.phase, attempt: Math.max(1, run.attempt), message: run.message, failure: run.failure };
    const status = this.readStatus(ref);
    return status ? { jobName: status.jobName, phase: status.phase, attempt: status.attempt, message: status.message, failure: status.failure } : null;
  }

  async cancel(ref: RunRef): Promise<void> {
    const run = this.liveRun(ref);
    if (run?.child) {
      this.terminate(run, 'cancel');
      await run.exited;
    }
  }

  watch(onChange: (runId: string) => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  async list(): Promise<{ runId: string; observation: Observation }[]> {
    const out: { runId: string; observation: Observation }[] = [];
    for (const run of this.runs.values()) {
      const observation = await this.observe(run.ref);
      if (observation) out.push({ runId: run.ref.runId, observation });
    }
    return out;
  }

  private command(run: LocalRun): string[] {
    const { training } = run.runSpec.model;
    const command = this.options.command ?? [...training.command, ...training.args];
    if (command.length === 0) throw new Error('local executor: empty trainer command');
    return [...command];
  }

  private spawnAttempt(run: LocalRun): void {
    run.attempt += 1;
    const [file, ...args] = this.command(run);
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.options.env)) if (value !== undefined) env[name] = value;
    Object.assign(env, run.runSpec.model.training.env, { [RUN_SPEC_FILE_ENV]: this.specPath(run.ref.runId) });
    const fd = openSync(this.logPath(run.ref.runId), 'a');
    writeSync(fd, `--- ${new Date(this.clock.now()).toISOString()} attempt ${run.attempt}: ${[file, ...args].join(' ')}\n`);
    let child: ChildProcess;
    try {
      // detached: the trainer leads its own process group, so cancel reaches its children too (npx, tsx).
      child = spawn(file!, args, { env, cwd: this.options.cwd, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    run.child = child;
    run.phase = 'RUNNING';
    run.message = run.attempt > 1 ? `attempt ${run.attempt}` : null;
    let settled = false;
    const settle = (code: number | null, signal: string | null, spawnError?: Error): void => {
      if (settled) return;
      settled = true;
      run.child = null;
      run.cancelKill();
      this.afterExit(run, code, signal, spawnError);
    };
    child.once('error', (error) => settle(null, null, error));
    child.once('exit', (code, signal) => settle(code, signal));
    this.notify(run.ref.runId);
  }

  private afterExit(run: LocalRun, code: number | null, signal: string | null, spawnError?: Error): void {
    const how = spawnError ? `could not start: ${spawnError.message}` : code !== null ? `exit code ${code}` : `signal ${signal}`;
    this.logger.info({ runId: run.ref.runId, attempt: run.attempt, code, signal }, 'trainer process ended');
    const fail = (failure: FailureInfo, message: string): void => this.finish(run, 'FAILED', message, failure);
    if (run.ending === 'cancel') return fail({ code: FAILURE_CODES.CANCELLED, message: 'cancelled', retriable: false }, `cancelled (${how})`);
    if (run.ending === 'shutdown') {
      return fail({ code: FAILURE_CODES.JOB_FAILED, message: 'the dispatcher stopped while the trainer ran', retriable: true }, `stopped with the dispatcher (${how})`);
    }
    if (run.ending === 'deadline') {
      const limit = run.runSpec.model.training.deadlineMs;
      return fail({ code: FAILURE_CODES.DEADLINE_EXCEEDED, message: `DeadlineExceeded: ran longer than ${limit} ms`, retriable: true }, `DeadlineExceeded (${how})`);
    }
    if (spawnError) return fail({ code: FAILURE_CODES.JOB_FAILED, message: `trainer ${how}`, retriable: false }, `trainer ${how}`);
    const verdict = verdictForExit(code);
    if (verdict.outcome === 'success') return this.finish(run, 'SUCCEEDED', null, null);
    if (verdict.outcome === 'fail') return fail(verdict.failure, how);
    const retries = run.runSpec.model.training.retries;
    if (run.attempt <= retries) {
      this.logger.warn({ runId: run.ref.runId, attempt: run.attempt, retries }, `trainer failed (${how}); retrying`);
      return this.spawnAttempt(run);
    }
    fail(
      { code: FAILURE_CODES.BACKOFF_LIMIT_EXCEEDED, message: `BackoffLimitExceeded: ${run.attempt} attempt(s), last ${how}`, retriable: true },
      `BackoffLimitExceeded (last ${how})`,
    );
  }

  private finish(run: LocalRun, phase: 'SUCCEEDED' | 'FAILED', message: string | null, failure: FailureInfo | null): void {
    run.cancelDeadline();
    run.phase = phase;
    run.message = message;
    run.failure = failure;
    const status: StatusFile = { runId: run.ref.runId, jobName: run.jobName, phase, attempt: run.attempt, message, failure, finishedAt: this.clock.now() };
    try {
      const path = this.statusPath(run.ref.runId);
      writeFileSync(`${path}.tmp`, JSON.stringify(status));
      renameSync(`${path}.tmp`, path);
    } catch (error) {
      this.logger.error({ err: error, runId: run.ref.runId }, 'could not record the trainer outcome');
    }
    run.resolveExited();
    this.notify(run.ref.runId);
  }

  private terminate(run: LocalRun, why: 'cancel' | 'deadline' | 'shutdown'): void {
    const child = run.child;
    if (!child || child.pid === undefined) return;
    run.ending ??= why;
    signalGroup(child.pid, 'SIGTERM');
    run.cancelKill = this.clock.schedule(this.killGraceMs, () => {
      if (run.child === child) signalGroup(child.pid!, 'SIGKILL');
    });
  }

  /** The recorded outcome of this attempt; an older attempt's file (another job name) is not it. */
  private readStatus(ref: RunRef): StatusFile | null {
    let status: StatusFile;
    try {
      status = JSON.parse(readFileSync(this.statusPath(ref.runId), 'utf8')) as StatusFile;
    } catch {
      return null;
    }
    return status.jobName === jobNameFor(ref.modelId, ref.runId, ref.nonce) ? status : null;
  }

  private notify(runId: string): void {
    for (const listener of this.listeners) listener(runId);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already (ESRCH): nothing to stop.
  }
}
