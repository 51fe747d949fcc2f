import Fastify, { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * Liveness and readiness. Live = the process answers. Ready = every registered
 * check passes; for consumers that means "assigned partitions and consuming",
 * not merely "started" (a consumer stuck in a rebalance loop is not ready).
 */
export type ReadinessCheck = () => { ready: boolean; detail?: string };

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** A flag-backed check: set(true) once consuming, set(false) on stop or crash. */
  flag(name: string, initial = false): { set(ready: boolean, detail?: string): void } {
    let state: { ready: boolean; detail?: string } = { ready: initial };
    this.register(name, () => state);
    return { set: (ready, detail) => (state = detail === undefined ? { ready } : { ready, detail }) };
  }

  report(): { ready: boolean; checks: Record<string, { ready: boolean; detail?: string }> } {
    const checks: Record<string, { ready: boolean; detail?: string }> = {};
    let ready = this.checks.size > 0;
    for (const [name, check] of this.checks) {
      const result = check();
      checks[name] = result;
      ready &&= result.ready;
    }
    return { ready, checks };
  }
}

export interface ProbeServerOptions {
  readonly registry: Registry;
  readonly readiness: Readiness;
  readonly host?: string;
  readonly port?: number;
}

export function mountProbes(app: FastifyInstance, registry: Registry, readiness: Readiness): void {
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = readiness.report();
    reply.code(report.ready ? 200 : 503);
    return report;
  });
}

export interface ProbeServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * /metrics, /healthz and /readyz on a port of their own, never mixed with an
 * API: they need no credentials, and a port that serves only them can be opened
 * to Prometheus and the kubelet alone (issue 14).
 */
export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const app = Fastify({ logger: false });
  mountProbes(app, options.registry, options.readiness);
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return { url: address, close: () => app.close() };
}
