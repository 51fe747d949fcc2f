import type { V1Job } from '@kubernetes/client-node';
import { kubernetesError } from '../../../../lib/kubernetes';
import type { JobInformer } from './informer';
import type { JobsApi } from './jobs-api';

/** An in-memory JobsApi: a namespace's Jobs, with the API server's 404/409 answers and injectable failures. */
export class FakeJobsApi implements JobsApi {
  readonly jobs = new Map<string, V1Job>();
  readonly calls: string[] = [];
  private readonly failures: unknown[] = [];
  private uid = 0;

  /** The next call fails with an ApiException-like error of this HTTP status. */
  failNext(status: number, headers: Record<string, string> = {}): void {
    this.failures.push({ code: status, body: JSON.stringify({ kind: 'Status', reason: status === 429 ? 'TooManyRequests' : 'InternalError', message: 'injected' }), headers });
  }

  private maybeFail(operation: string): void {
    const failure = this.failures.shift();
    if (failure !== undefined) throw kubernetesError(failure, operation);
  }

  async create(job: V1Job): Promise<V1Job> {
    const name = job.metadata!.name!;
    this.calls.push(`create ${name}`);
    this.maybeFail('create job');
    if (this.jobs.has(name)) throw kubernetesError({ code: 409, body: { kind: 'Status', reason: 'AlreadyExists', message: `jobs.batch "${name}" already exists` } }, 'create job');
    const stored: V1Job = { ...structuredClone(job), metadata: { ...structuredClone(job.metadata), uid: `uid-${++this.uid}` }, status: {} };
    this.jobs.set(name, stored);
    return stored;
  }

  async read(name: string): Promise<V1Job | null> {
    this.calls.push(`read ${name}`);
    this.maybeFail('read job');
    return this.jobs.get(name) ?? null;
  }

  async delete(name: string, uid?: string): Promise<void> {
    this.calls.push(`delete ${name}${uid ? ` uid=${uid}` : ''}`);
    this.maybeFail('delete job');
    const job = this.jobs.get(name);
    if (job && (!uid || job.metadata?.uid === uid)) this.jobs.delete(name);
  }

  async list(): Promise<readonly V1Job[]> {
    this.calls.push('list');
    this.maybeFail('list jobs');
    return [...this.jobs.values()];
  }
}

/** A JobInformer over a map the test fills; `emit` plays a watch event. */
export class FakeInformer implements JobInformer {
  readonly cache = new Map<string, V1Job>();
  synced = false;
  private readonly listeners: ((job: V1Job, deleted: boolean) => void)[] = [];

  async start(): Promise<void> {
    this.synced = true;
  }
  async stop(): Promise<void> {
    this.synced = false;
  }
  get(name: string): V1Job | undefined {
    return this.cache.get(name);
  }
  list(): readonly V1Job[] {
    return [...this.cache.values()];
  }
  onChange(listener: (job: V1Job, deleted: boolean) => void): void {
    this.listeners.push(listener);
  }
  emit(job: V1Job, deleted = false): void {
    if (deleted) this.cache.delete(job.metadata!.name!);
    else this.cache.set(job.metadata!.name!, job);
    for (const listener of this.listeners) listener(job, deleted);
  }
}
