import type { Logger } from '../log';

/**
 * Graceful shutdown for every service's main.ts: on SIGTERM or SIGINT, stop the
 * registered parts in reverse start order (consumers finish their batch and
 * commit before the producers and servers close), then exit. A second signal, or
 * the grace period running out, exits at once: Kubernetes sends SIGKILL after
 * terminationGracePeriodSeconds anyway.
 */
export interface Stoppable {
  readonly name: string;
  stop(): Promise<void>;
}

export interface ShutdownOptions {
  readonly logger: Logger;
  readonly graceMs?: number;
  readonly signals?: readonly NodeJS.Signals[];
  /** Injected for tests; defaults to process.exit. */
  readonly exit?: (code: number) => void;
  readonly process?: Pick<NodeJS.Process, 'once' | 'removeListener'>;
}

export class Shutdown {
  private readonly parts: Stoppable[] = [];
  private stopping: Promise<void> | undefined;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  constructor(private readonly options: ShutdownOptions) {
    const proc = options.process ?? process;
    for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
      const handler = (): void => {
        if (this.stopping) {
          options.logger.warn({ signal }, 'second signal: exiting now');
          (options.exit ?? process.exit)(1);
          return;
        }
        options.logger.info({ signal }, 'shutting down');
        void this.stop().then(
          () => (options.exit ?? process.exit)(0),
          () => (options.exit ?? process.exit)(1),
        );
      };
      this.handlers.set(signal, handler);
      proc.once(signal, handler);
    }
  }

  add(part: Stoppable): void {
    this.parts.push(part);
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const { logger } = this.options;
    const grace = this.options.graceMs ?? 25_000;
    let failed = false;
    const work = (async () => {
      for (const part of [...this.parts].reverse()) {
        try {
          await part.stop();
          logger.info({ part: part.name }, 'stopped');
        } catch (error) {
          failed = true;
          logger.error({ err: error, part: part.name }, 'failed to stop cleanly');
        }
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), grace);
      timer.unref();
    });
    const outcome = await Promise.race([work.then(() => 'done' as const), timeout]);
    clearTimeout(timer);
    const proc = this.options.process ?? process;
    for (const [signal, handler] of this.handlers) proc.removeListener(signal, handler);
    if (outcome === 'timeout') throw new Error(`shutdown did not finish within ${grace} ms`);
    if (failed) throw new Error('some parts failed to stop');
  }
}
