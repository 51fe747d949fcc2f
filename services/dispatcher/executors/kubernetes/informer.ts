import type { V1Job } from '@kubernetes/client-node';
import { Clock, backoffDelay } from '../../../../lib/clock';
import type { Logger } from '../../../../lib/log';
import type { KubernetesClientModule } from '../../../../lib/kubernetes';

/**
 * A watched, cached view of our Jobs, in our words. `synced` is true once the
 * initial list has landed and the watch is open; reads of an unsynced cache must
 * not be trusted for "absent".
 */
export interface JobInformer {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly synced: boolean;
  get(name: string): V1Job | undefined;
  list(): readonly V1Job[];
  /** Called for every add, update and delete, and for each Job relisted after a restart. */
  onChange(listener: (job: V1Job, deleted: boolean) => void): void;
}

/** The subset of client-node's Informer & ObjectCache we use (fakeable). */
export interface ListWatchLike {
  on(verb: 'add' | 'update' | 'delete', cb: (job: V1Job) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  get(name: string, namespace?: string): V1Job | undefined;
  list(namespace?: string): ReadonlyArray<V1Job>;
}

export interface RestartingInformerOptions {
  readonly namespace: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly random?: () => number;
  readonly onError?: (error: unknown) => void;
}

/**
 * client-node's ListWatch re-opens a watch that simply ended (server timeout) and
 * relists on 410 Gone, but on any other error it calls the error handlers and
 * stops for good. This wrapper restarts after an exponential backoff with a fresh
 * ListWatch, so the restart relists: every Job is reported again (changes missed
 * while the watch was down are caught up) and vanished Jobs drop out of the
 * cache. It reports synced only while a start has completed with no error since.
 */
export class RestartingInformer implements JobInformer {
  private readonly listeners: ((job: V1Job, deleted: boolean) => void)[] = [];
  private inner: ListWatchLike | undefined;
  private epoch = 0;
  private isSynced = false;
  private stopped = true;
  private failures = 0;
  private cancelRestart: () => void = () => undefined;

  constructor(
    private readonly create: () => ListWatchLike,
    private readonly options: RestartingInformerOptions,
  ) {}

  get synced(): boolean {
    return this.isSynced;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.isSynced = false;
    this.epoch++;
    this.cancelRestart();
    await this.inner?.stop();
  }

  get(name: string): V1Job | undefined {
    return this.inner?.get(name, this.options.namespace);
  }

  list(): readonly V1Job[] {
    return this.inner?.list(this.options.namespace) ?? [];
  }

  onChange(listener: (job: V1Job, deleted: boolean) => void): void {
    this.listeners.push(listener);
  }

  private async run(): Promise<void> {
    const epoch = ++this.epoch;
    const previous = this.inner;
    const inner = this.create();
    const emit = (deleted: boolean) => (job: V1Job) => {
      if (this.inner !== inner) return;
      for (const listener of this.listeners) listener(job, deleted);
    };
    inner.on('add', emit(false));
    inner.on('update', emit(false));
    inner.on('delete', emit(true));
    inner.on('error', (error) => {
      if (this.inner === inner) this.failed(error);
    });
    this.inner = inner;
    await previous?.stop().catch(() => undefined);
    try {
      await inner.start();
    } catch (error) {
      this.failed(error);
      return;
    }
    // start() resolves even when its list failed (the error went to the handlers): only an error-free start counts.
    if (epoch === this.epoch && !this.stopped) {
      this.isSynced = true;
      this.failures = 0;
      this.options.logger.info('job informer synced');
    }
  }

  private failed(error: unknown): void {
    this.epoch++;
    this.isSynced = false;
    this.options.onError?.(error);
    if (this.stopped) return;
    const delay = backoffDelay(this.failures++, { ...(this.options.backoff ?? { initialMs: 500, maxMs: 30_000 }), random: this.options.random });
    this.options.logger.warn({ err: error, delayMs: delay, failures: this.failures }, 'job informer failed; restarting');
    this.cancelRestart();
    this.cancelRestart = this.options.clock.schedule(delay, () => {
      if (!this.stopped) void this.run();
    });
  }
}

/** The real informer: client-node's makeInformer over our Jobs, by label selector. */
export function clientJobInformer(
  k8s: KubernetesClientModule,
  kubeConfig: InstanceType<KubernetesClientModule['KubeConfig']>,
  namespace: string,
  labelSelector: string,
  options: Omit<RestartingInformerOptions, 'namespace'> & { readonly beforeList?: () => Promise<void> },
): JobInformer {
  const batch = kubeConfig.makeApiClient(k8s.BatchV1Api);
  const create = (): ListWatchLike =>
    k8s.makeInformer<V1Job>(
      kubeConfig,
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      async () => {
        await options.beforeList?.();
        return batch.listNamespacedJob({ namespace, labelSelector });
      },
      labelSelector,
    ) as unknown as ListWatchLike;
  return new RestartingInformer(create, { ...options, namespace });
}
