import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import { errorCode } from '../errors';
import { loadKubernetesClient, resolveKubeConfig, type KubeConfigInstance } from '../kubernetes';
import type { Logger } from '../log';
import type { ServiceMetrics } from '../metrics';
import { clientLeaseApi } from './client-node';
import { LeaseElector } from './elector';
import type { LeaderSettings } from './settings';
import { SingleProcessLeadership } from './single';
import type { LeaseApi, Leadership } from './types';

/**
 * holderIdentity for this process: the instance id (the pod name) and a random
 * suffix. A container restarted in the same pod is then a new candidate that
 * waits for the old term to end, instead of renewing it and reusing its epoch.
 */
export function leaderIdentity(instanceId: string, random: () => string = () => randomBytes(4).toString('hex')): string {
  return `${instanceId}_${random()}`;
}

export interface CreateLeadershipOptions {
  readonly settings: LeaderSettings;
  /** A kubeconfig file; null: in-cluster. Ignored when `kubeConfig` or `api` is given. */
  readonly kubeconfigPath: string | null;
  readonly kubeConfig?: KubeConfigInstance;
  /** Tests: a LeaseApi of their own (MemoryLeaseStore). */
  readonly api?: LeaseApi;
  readonly identity: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: ServiceMetrics;
  readonly advertiseUrl?: string | null;
}

/** The Leadership for the settings' mode, with its metrics (roundhouse_<service>_leader, _leader_epoch, _leader_lease_errors_total). */
export function createLeadership(options: CreateLeadershipOptions): Leadership {
  const { settings } = options;
  let errors: ((operation: string, error: unknown) => void) | undefined;
  if (options.metrics) {
    const counter = options.metrics.counter('leader_lease_errors_total', 'Lease calls of the leader election that failed (API server down, RBAC, timeouts).', ['operation', 'code']);
    errors = (operation, error) => counter.inc({ operation, code: errorCode(error) });
  }
  let leadership: Leadership;
  if (settings.mode === 'none') {
    leadership = new SingleProcessLeadership(options.identity);
  } else {
    let api = options.api;
    if (!api) {
      const { kubeConfig, namespace } = resolveKubeConfig({ kubeconfigPath: options.kubeconfigPath, namespace: settings.leaseNamespace, ...(options.kubeConfig ? { kubeConfig: options.kubeConfig } : {}) });
      api = clientLeaseApi(loadKubernetesClient(), kubeConfig, namespace, settings.leaseName);
    }
    leadership = new LeaseElector({
      api,
      identity: options.identity,
      clock: options.clock,
      logger: options.logger,
      leaseDurationMs: settings.leaseDurationMs,
      renewDeadlineMs: settings.renewDeadlineMs,
      retryPeriodMs: settings.retryPeriodMs,
      advertiseUrl: options.advertiseUrl ?? null,
      ...(errors ? { onError: errors } : {}),
    });
  }
  if (options.metrics) instrumentLeadership(options.metrics, leadership);
  return leadership;
}

/** roundhouse_<service>_leader (0/1) and roundhouse_<service>_leader_epoch, kept current from the events. */
export function instrumentLeadership(metrics: ServiceMetrics, leadership: Leadership): void {
  const leader = metrics.gauge('leader', '1 while this process leads (holds the Lease, or runs in single-process mode), else 0.');
  const epoch = metrics.gauge('leader_epoch', "The fencing epoch (the Lease's leaseTransitions) as this process last saw it: its own while it leads, 0 in single-process mode.");
  leader.set(0);
  leadership.subscribe((event) => {
    if (event.type === 'acquired') {
      leader.set(1);
      epoch.set(event.epoch);
    } else if (event.type === 'lost') {
      leader.set(0);
    } else if (event.epoch !== null) {
      epoch.set(event.epoch);
    }
  });
}
