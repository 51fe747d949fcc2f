import { z } from 'zod';
import { parseDuration } from '../catalog';
import type { Config, RawEnv } from '../config';
import type { LeaseTimings } from './elector';

/**
 * Leader election settings of one service, from `<PREFIX>_LEADER_ELECTION` and
 * `<PREFIX>_LEASE_*` (prefix DISPATCHER or EVALUATOR: each service has its own
 * Lease, and the shared roundhouse-env ConfigMap must not make them one).
 * Parsed by the service's settings.ts with its other variables, so every
 * problem is reported at once (STYLE.md item 8).
 *
 *   <P>_LEADER_ELECTION     lease | none. Default: lease when a cluster is
 *                           configured (KUBECONFIG or in-cluster), none otherwise
 *                           (local, embedded, demo: always leader, epoch 0).
 *   <P>_LEASE_NAME          default <topic prefix>roundhouse-<service>
 *   <P>_LEASE_NAMESPACE     default KUBERNETES_NAMESPACE, else the kubeconfig's or pod's namespace
 *   <P>_LEASE_DURATION      15s (whole seconds: the Lease stores seconds)
 *   <P>_LEASE_RENEW_DEADLINE 10s
 *   <P>_LEASE_RETRY_PERIOD  2s
 * with 0 < retry period < renew deadline and renew deadline + retry period <
 * lease duration (lib/leader/elector.ts says why).
 */
export interface LeaderSettings extends LeaseTimings {
  readonly mode: 'lease' | 'none';
  readonly leaseName: string;
  /** Null: the namespace of the kubeconfig context or of the pod. */
  readonly leaseNamespace: string | null;
}

export const DEFAULT_LEASE_TIMINGS: LeaseTimings = Object.freeze({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });

const duration = z.string().transform((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  if (parsed.ms <= 0) {
    ctx.addIssue({ code: 'custom', message: 'must be longer than 0' });
    return z.NEVER;
  }
  return parsed.ms;
});
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Lease name from a topic prefix, which may hold characters a name may not ("team_a." → "team-a."). */
export function defaultLeaseName(topicPrefix: string, service: string): string {
  const prefix = topicPrefix.toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[^a-z0-9]+/, '');
  return `${prefix}roundhouse-${service}`.slice(0, 253);
}

export function parseLeaderSettings(
  env: RawEnv,
  config: Config,
  options: { readonly prefix: string; readonly service: string },
): { readonly settings: LeaderSettings | null; readonly problems: readonly string[] } {
  const v = (suffix: string): string => `${options.prefix}_${suffix}`;
  const Env = z.object({
    [v('LEADER_ELECTION')]: z.enum(['lease', 'none']).optional(),
    [v('LEASE_NAME')]: z.string().max(253).regex(DNS_SUBDOMAIN, 'expected a DNS-1123 subdomain (lower case, digits, "-" and ".")').optional(),
    [v('LEASE_NAMESPACE')]: z.string().regex(DNS_LABEL, 'expected a DNS-1123 label').optional(),
    [v('LEASE_DURATION')]: duration.optional(),
    [v('LEASE_RENEW_DEADLINE')]: duration.optional(),
    [v('LEASE_RETRY_PERIOD')]: duration.optional(),
  });
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    return {
      settings: null,
      problems: parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '(environment)');
        return `${variable}: ${issue.message}${env[variable] === undefined ? '' : ` (got ${JSON.stringify(env[variable])})`}`;
      }),
    };
  }
  const e = parsed.data as Record<string, string | number | undefined>;
  const cluster = config.kubernetes.kubeconfig !== undefined || env.KUBERNETES_SERVICE_HOST !== undefined;
  const mode = (e[v('LEADER_ELECTION')] as 'lease' | 'none' | undefined) ?? (cluster ? 'lease' : 'none');
  const timings: LeaseTimings = {
    leaseDurationMs: (e[v('LEASE_DURATION')] as number | undefined) ?? DEFAULT_LEASE_TIMINGS.leaseDurationMs,
    renewDeadlineMs: (e[v('LEASE_RENEW_DEADLINE')] as number | undefined) ?? DEFAULT_LEASE_TIMINGS.renewDeadlineMs,
    retryPeriodMs: (e[v('LEASE_RETRY_PERIOD')] as number | undefined) ?? DEFAULT_LEASE_TIMINGS.retryPeriodMs,
  };
  const leaseName = (e[v('LEASE_NAME')] as string | undefined) ?? defaultLeaseName(config.topicPrefix, options.service);
  const problems: string[] = [];
  if (mode === 'lease') {
    if (!cluster) problems.push(`${v('LEADER_ELECTION')}: lease needs KUBECONFIG or an in-cluster ServiceAccount`);
    if (timings.leaseDurationMs % 1000 !== 0) problems.push(`${v('LEASE_DURATION')}: must be whole seconds (the Lease stores seconds), got ${timings.leaseDurationMs} ms`);
    if (!(timings.renewDeadlineMs + timings.retryPeriodMs < timings.leaseDurationMs)) {
      problems.push(
        `${v('LEASE_RENEW_DEADLINE')}: with ${v('LEASE_RETRY_PERIOD')} it must stay under ${v('LEASE_DURATION')} (${timings.renewDeadlineMs} + ${timings.retryPeriodMs} ms ≥ ${timings.leaseDurationMs} ms): a leader must stop before others may take over`,
      );
    }
    if (!(timings.retryPeriodMs < timings.renewDeadlineMs)) {
      problems.push(`${v('LEASE_RETRY_PERIOD')}: must be shorter than ${v('LEASE_RENEW_DEADLINE')} (${timings.retryPeriodMs} ms ≥ ${timings.renewDeadlineMs} ms): a leader needs more than one try per deadline`);
    }
    if (!DNS_SUBDOMAIN.test(leaseName)) problems.push(`${v('LEASE_NAME')}: the default "${leaseName}" (from ROUNDHOUSE_TOPIC_PREFIX) is not a valid name; set ${v('LEASE_NAME')}`);
  }
  if (problems.length > 0) return { settings: null, problems };
  return {
    settings: Object.freeze({ mode, leaseName, leaseNamespace: (e[v('LEASE_NAMESPACE')] as string | undefined) ?? config.kubernetes.namespace ?? null, ...timings }),
    problems: [],
  };
}
