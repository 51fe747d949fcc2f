import { z } from 'zod';
import { parseDuration } from '../../lib/catalog';
import type { Config, RawEnv } from '../../lib/config';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import type { ExecutorKind } from '../../lib/events';
import { parseLeaderSettings, type LeaderSettings } from '../../lib/leader';
import { parseApiTokens } from './api/tokens';
import { DEFAULT_DISPATCHER_CONFIG, DispatcherConfig } from './app';
import { TRAINER_UID, type JobOptions, type SecretEnvVar } from './core/job';
import { trainerProcessEnv, withoutCredentials } from './executors/local-env';

/**
 * The dispatcher's own settings, from DISPATCHER_* variables that lib/config does
 * not know yet. Same rules (STYLE.md item 8): main.ts passes the environment in,
 * every problem is reported with its variable, the result is frozen.
 */
export interface DispatcherSettings {
  readonly app: DispatcherConfig;
  readonly executor: ExecutorKind;
  readonly kubernetes: {
    /** Null: in-cluster ServiceAccount. */
    readonly kubeconfigPath: string | null;
    readonly namespace: string | null;
    readonly qps: number;
    readonly burst: number;
    readonly trainerServiceAccount: string | null;
    readonly trainerEnvSecret: string | null;
    /**
     * Variables the trainer reads from Secret keys (secretKeyRef), never copied in
     * clear: S3 credentials (DISPATCHER_S3_CREDENTIALS_SECRET), then
     * DISPATCHER_TRAINER_SECRET_REFS.
     */
    readonly trainerSecretEnv: readonly SecretEnvVar[];
    /** The trainer pod's non-root uid/gid (DISPATCHER_TRAINER_UID). */
    readonly trainerUid: number;
    readonly artifactVolume: { readonly claimName: string; readonly mountPath: string } | null;
  };
  readonly local: {
    readonly workDir: string;
    readonly command: readonly string[] | null;
    /** The whole environment of a local trainer process: an allowlist of the dispatcher's (executors/local-env.ts) and trainerEnv. */
    readonly env: Readonly<Record<string, string>>;
  };
  /**
   * Settings the trainer needs to reach Kafka and the registry, never credentials:
   * the registry URL loses any user:password; credentials go by Secret reference
   * (trainerEnvSecret, trainerSecretEnv) or, locally, DISPATCHER_LOCAL_TRAINER_ENV_*.
   */
  readonly trainerEnv: Readonly<Record<string, string>>;
  /** DISPATCHER_LEADER_ELECTION and DISPATCHER_LEASE_* (lib/leader/settings.ts). */
  readonly leader: LeaderSettings;
  /**
   * DISPATCHER_ADVERTISE_URL: where this replica's API answers for the others
   * (e.g. http://$(POD_IP):8080). The leader writes it into its Lease, and a
   * standby forwards API calls there; without it a standby answers 503.
   */
  readonly advertiseUrl: string | null;
}

const duration = z.string().transform((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  return parsed.ms;
});
const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS-1123 name');
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
/** NAME=secret/key,… → env valueFrom secretKeyRef entries. */
const secretRefs = z.string().transform((text, ctx): SecretEnvVar[] => {
  const refs: SecretEnvVar[] = [];
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e.length > 0)) {
    const match = /^([^=]+)=([^/]+)\/(.+)$/.exec(entry);
    if (!match || !ENV_NAME.test(match[1]!) || !SECRET_NAME.test(match[2]!) || !SECRET_KEY.test(match[3]!)) {
      ctx.addIssue({ code: 'custom', message: `expected NAME=secret/key entries, comma-separated; "${entry}" is not one` });
      return z.NEVER;
    }
    refs.push(Object.freeze({ name: match[1]!, secretName: match[2]!, key: match[3]!, optional: false }));
  }
  return refs;
});

const Env = z.object({
  DISPATCHER_EXECUTOR: z.enum(['kubernetes', 'local']).optional(),
  DISPATCHER_GROUP_ID: z.string().min(1).optional(),
  DISPATCHER_MAX_CONCURRENT_RUNS: z.coerce.number().int().min(1).default(DEFAULT_DISPATCHER_CONFIG.maxConcurrentRuns),
  DISPATCHER_RESYNC_INTERVAL: duration.default(DEFAULT_DISPATCHER_CONFIG.resyncIntervalMs),
  DISPATCHER_LOST_JOB_GRACE: duration.default(DEFAULT_DISPATCHER_CONFIG.lostJobGraceMs),
  DISPATCHER_PIN_TIMEOUT: duration.default(DEFAULT_DISPATCHER_CONFIG.pinTimeoutMs),
  DISPATCHER_KUBE_QPS: z.coerce.number().positive().default(5),
  DISPATCHER_KUBE_BURST: z.coerce.number().int().min(1).default(10),
  DISPATCHER_TRAINER_SERVICE_ACCOUNT: dnsName.optional(),
  DISPATCHER_TRAINER_ENV_SECRET: dnsName.optional(),
  /** e.g. SCHEMA_REGISTRY_USERNAME=trainer-registry/username,SCHEMA_REGISTRY_PASSWORD=trainer-registry/password */
  DISPATCHER_TRAINER_SECRET_REFS: secretRefs.optional(),
  DISPATCHER_TRAINER_UID: z.coerce.number().int().min(1).max(2147483647).default(TRAINER_UID),
  /**
   * A Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN
   * optional) for an s3:// ARTIFACT_ROOT; referenced by secretKeyRef in the Job.
   * Without it the trainer uses the SDK's chain: IRSA through
   * DISPATCHER_TRAINER_SERVICE_ACCOUNT, or DISPATCHER_TRAINER_ENV_SECRET.
   */
  DISPATCHER_S3_CREDENTIALS_SECRET: dnsName.optional(),
  /** PVC with the file:// artifact store, mounted into trainer Jobs at ARTIFACT_ROOT's path. */
  DISPATCHER_ARTIFACT_CLAIM: dnsName.optional(),
  DISPATCHER_LOCAL_WORK_DIR: z.string().min(1).default('.roundhouse/runs'),
  DISPATCHER_LOCAL_COMMAND: z.string().min(1).optional(),
  DISPATCHER_ADVERTISE_URL: z
    .url({ protocol: /^https?$/ })
    .refine((url) => !/^https?:\/\/[^/]*@/.test(url), 'must not carry credentials')
    .optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
});

export function loadDispatcherSettings(env: RawEnv, config: Config): DispatcherSettings {
  const parsed = Env.safeParse(env);
  // Token problems name the entry, never its value.
  const tokens = parseApiTokens(config.dispatcher.apiTokens);
  const tokenLines = tokens.problems.map((problem) => `  DISPATCHER_API_TOKENS: ${problem}`);
  const leader = parseLeaderSettings(env, config, { prefix: 'DISPATCHER', service: 'dispatcher' });
  const leaderLines = leader.problems.map((problem) => `  ${problem}`);
  if (!parsed.success || tokenLines.length > 0 || leaderLines.length > 0) {
    const lines = (parsed.error?.issues ?? []).map((issue) => {
      const variable = String(issue.path[0] ?? '(environment)');
      return `  ${variable}: ${issue.message}${env[variable] === undefined ? '' : ` (got ${JSON.stringify(env[variable])})`}`;
    });
    lines.push(...tokenLines, ...leaderLines);
    throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `invalid dispatcher configuration (${lines.length} problem(s)):\n${lines.join('\n')}`);
  }
  const e = parsed.data!;
  const inCluster = e.KUBERNETES_SERVICE_HOST !== undefined;
  const executor: ExecutorKind = e.DISPATCHER_EXECUTOR ?? (config.kubernetes.kubeconfig !== undefined || inCluster ? 'kubernetes' : 'local');
  if (executor === 'kubernetes' && config.kubernetes.kubeconfig === undefined && !inCluster) {
    throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, 'invalid dispatcher configuration:\n  DISPATCHER_EXECUTOR: kubernetes needs KUBECONFIG or an in-cluster ServiceAccount');
  }
  const trainerEnv: Record<string, string> = {};
  if (config.kafka) {
    trainerEnv.KAFKA_BROKERS = config.kafka.brokers.join(',');
    trainerEnv.KAFKA_SSL = String(config.kafka.ssl);
  }
  // A registry URL may carry user:password: the Job's env is readable by anyone who may read the Job.
  if (config.schemaRegistry) trainerEnv.SCHEMA_REGISTRY_URL = withoutCredentials(config.schemaRegistry.url);
  if (config.topicPrefix) trainerEnv.ROUNDHOUSE_TOPIC_PREFIX = config.topicPrefix;
  trainerEnv.LOG_LEVEL = config.logLevel;
  const s3 = config.artifactRoot.startsWith('s3://');
  if (s3) Object.assign(trainerEnv, s3TrainerEnv(config));
  const s3SecretEnv: SecretEnvVar[] = e.DISPATCHER_S3_CREDENTIALS_SECRET
    ? S3_CREDENTIAL_KEYS.map((key) => Object.freeze({ name: key, secretName: e.DISPATCHER_S3_CREDENTIALS_SECRET!, key, optional: key === 'AWS_SESSION_TOKEN' }))
    : [];
  const trainerSecretEnv = [...s3SecretEnv, ...(e.DISPATCHER_TRAINER_SECRET_REFS ?? [])];
  // One variable from two Secret keys would be two env entries of one name in the
  // pod: which wins is not ours to leave to the kubelet.
  const twice = [...new Set(trainerSecretEnv.map((s) => s.name).filter((name, i, all) => all.indexOf(name) !== i))];
  if (twice.length > 0) {
    const lines = twice.map((name) =>
      s3SecretEnv.some((s) => s.name === name)
        ? `  DISPATCHER_TRAINER_SECRET_REFS: ${name} is already referenced through DISPATCHER_S3_CREDENTIALS_SECRET; name it in one of the two`
        : `  DISPATCHER_TRAINER_SECRET_REFS: ${name} is listed more than once`,
    );
    throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `invalid dispatcher configuration (${lines.length} problem(s)):\n${lines.join('\n')}`);
  }
  return Object.freeze({
    app: Object.freeze({
      // Deployments sharing a cluster are told apart by their topic prefix; so are their groups.
      groupId: e.DISPATCHER_GROUP_ID ?? `${config.topicPrefix}${DEFAULT_DISPATCHER_CONFIG.groupId}`,
      maxConcurrentRuns: e.DISPATCHER_MAX_CONCURRENT_RUNS,
      resyncIntervalMs: e.DISPATCHER_RESYNC_INTERVAL,
      lostJobGraceMs: e.DISPATCHER_LOST_JOB_GRACE,
      pinTimeoutMs: e.DISPATCHER_PIN_TIMEOUT,
      artifactRoot: config.artifactRoot,
      apiTokens: tokens.tokens,
    }),
    executor,
    kubernetes: Object.freeze({
      kubeconfigPath: config.kubernetes.kubeconfig ?? null,
      namespace: config.kubernetes.namespace ?? null,
      qps: e.DISPATCHER_KUBE_QPS,
      burst: e.DISPATCHER_KUBE_BURST,
      trainerServiceAccount: e.DISPATCHER_TRAINER_SERVICE_ACCOUNT ?? null,
      trainerEnvSecret: e.DISPATCHER_TRAINER_ENV_SECRET ?? null,
      trainerSecretEnv: Object.freeze(trainerSecretEnv),
      trainerUid: e.DISPATCHER_TRAINER_UID,
      artifactVolume:
        e.DISPATCHER_ARTIFACT_CLAIM && config.artifactRoot.startsWith('file:///')
          ? Object.freeze({ claimName: e.DISPATCHER_ARTIFACT_CLAIM, mountPath: new URL(config.artifactRoot).pathname.replace(/\/+$/, '') || '/' })
          : null,
    }),
    local: Object.freeze({
      workDir: e.DISPATCHER_LOCAL_WORK_DIR,
      command: e.DISPATCHER_LOCAL_COMMAND ? Object.freeze(e.DISPATCHER_LOCAL_COMMAND.split(/\s+/)) : null,
      env: Object.freeze({ ...trainerEnv, ...trainerProcessEnv(env) }),
    }),
    trainerEnv: Object.freeze(trainerEnv),
    leader: leader.settings!,
    advertiseUrl: e.DISPATCHER_ADVERTISE_URL ?? null,
  });
}

const S3_CREDENTIAL_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

/**
 * What a trainer needs to reach an s3:// artifact root, as the variables
 * lib/config reads: endpoint, region, path style, retries, part size. No
 * credentials: those go by Secret reference (DISPATCHER_S3_CREDENTIALS_SECRET,
 * DISPATCHER_TRAINER_ENV_SECRET) or IRSA.
 */
function s3TrainerEnv(config: Config): Record<string, string> {
  const { s3 } = config;
  return {
    ARTIFACT_ROOT: config.artifactRoot,
    ...(s3.endpoint !== undefined ? { ROUNDHOUSE_S3_ENDPOINT: s3.endpoint } : {}),
    ...(s3.region !== undefined ? { AWS_REGION: s3.region } : {}),
    ROUNDHOUSE_S3_FORCE_PATH_STYLE: String(s3.forcePathStyle),
    ROUNDHOUSE_S3_MAX_ATTEMPTS: String(s3.maxAttempts),
    ROUNDHOUSE_S3_PART_SIZE_MB: String(Math.round(s3.partSizeBytes / (1024 * 1024))),
  };
}

/** The Job options the Kubernetes executor builds every Job with (all but the namespace, which the executor adds). */
export function jobOptionsFrom(settings: DispatcherSettings): Omit<JobOptions, 'namespace'> {
  return {
    defaultServiceAccountName: settings.kubernetes.trainerServiceAccount,
    env: settings.trainerEnv,
    envFromSecret: settings.kubernetes.trainerEnvSecret,
    secretEnv: settings.kubernetes.trainerSecretEnv,
    runAsUser: settings.kubernetes.trainerUid,
    artifactVolume: settings.kubernetes.artifactVolume,
  };
}
