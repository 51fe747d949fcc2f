import { z } from 'zod';
import { ErrorCodes, RoundhouseError } from '../errors';

/**
 * Process configuration from environment variables: parsed once at start-up by
 * main.ts, every problem reported at once with the variable's name, then frozen.
 * Nothing else reads process.env (an ESLint rule enforces it).
 */

const csv = z
  .string()
  .transform((s) => s.split(',').map((part) => part.trim()).filter((part) => part.length > 0));

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

const EnvSchema = z.object({
  ROUNDHOUSE_SERVICE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KAFKA_BROKERS: csv.pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1)).optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('roundhouse'),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_SSL: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  KAFKA_TOPIC_PARTITIONS: positiveInt.default(3),
  KAFKA_REPLICATION_FACTOR: positiveInt.default(1),
  // Consumer group session: how long the broker waits for a silent member (a
  // SIGKILLed pod) before giving its partitions to the others. Unset: kafkajs'
  // 30 s. The broker bounds it (group.min/max.session.timeout.ms, 6 s and 30 min
  // by default); outside them every join fails with INVALID_SESSION_TIMEOUT.
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1000, 'must be at least 1000 (ms)').max(1_800_000, 'must be at most 1800000 (30 min, the broker\'s default group.max.session.timeout.ms)').optional(),
  SCHEMA_REGISTRY_URL: z.url().optional(),
  SCHEMA_REGISTRY_USERNAME: z.string().optional(),
  SCHEMA_REGISTRY_PASSWORD: z.string().optional(),
  ROUNDHOUSE_CATALOG: z.string().min(1).default('config/catalog.yaml'),
  ROUNDHOUSE_TOPIC_PREFIX: z.string().default(''),
  ROUNDHOUSE_INSTANCE_ID: z.string().min(1).optional(),
  METRICS_PORT: port.default(9464),
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  KUBECONFIG: z.string().min(1).optional(),
  KUBERNETES_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS-1123 label').optional(),
  DISPATCHER_PORT: port.default(8080),
  DISPATCHER_API_TOKENS: csv.optional(),
  ARTIFACT_ROOT: z.string().min(1).default('file://./artifacts'),
  // s3:// artifact roots. Credentials are not here: the AWS SDK's default chain
  // finds them (AWS_ACCESS_KEY_ID/…, a shared config profile, IRSA's web identity token).
  ROUNDHOUSE_S3_ENDPOINT: z.url().optional(),
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  ROUNDHOUSE_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
  ROUNDHOUSE_S3_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  ROUNDHOUSE_S3_PART_SIZE_MB: z.coerce.number().int().min(5).max(5120).default(8),
});

export type RawEnv = Readonly<Record<string, string | undefined>>;

export interface Config {
  readonly service: string | undefined;
  readonly logLevel: string;
  readonly instanceId: string | undefined;
  readonly catalogPath: string;
  readonly topicPrefix: string;
  readonly kafka:
    | {
        readonly brokers: readonly string[];
        readonly clientId: string;
        readonly ssl: boolean;
        readonly sasl: { readonly username: string; readonly password: string } | undefined;
        readonly topicPartitions: number;
        readonly replicationFactor: number;
        /** KAFKA_SESSION_TIMEOUT_MS; undefined: the client's default (30 s). */
        readonly sessionTimeoutMs: number | undefined;
      }
    | undefined;
  readonly schemaRegistry:
    | { readonly url: string; readonly auth: { readonly username: string; readonly password: string } | undefined }
    | undefined;
  readonly metrics: { readonly host: string; readonly port: number };
  readonly kubernetes: { readonly kubeconfig: string | undefined; readonly namespace: string | undefined };
  readonly dispatcher: { readonly port: number; readonly apiTokens: readonly string[] };
  readonly artifactRoot: string;
  readonly s3: S3Settings;
}

/** How to reach the S3 (or S3-compatible) server behind s3:// artifact URIs. */
export interface S3Settings {
  /** ROUNDHOUSE_S3_ENDPOINT, else AWS_ENDPOINT_URL_S3; undefined: AWS's own endpoint for the region. */
  readonly endpoint: string | undefined;
  /** AWS_REGION, else AWS_DEFAULT_REGION; undefined: the SDK's chain (shared config), us-east-1 with an endpoint. */
  readonly region: string | undefined;
  /** Path-style URLs (http://host/bucket/key), which most S3-compatible servers need; default: on when an endpoint is set. */
  readonly forcePathStyle: boolean;
  /** Attempts per request, throttling and 5xx included (the SDK's standard retry strategy). */
  readonly maxAttempts: number;
  /** Objects larger than this are uploaded in parts of this size (S3's minimum part is 5 MiB). */
  readonly partSizeBytes: number;
}

export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

function pairProblems(env: RawEnv, user: string, password: string): ConfigProblem[] {
  const hasUser = env[user] !== undefined;
  const hasPassword = env[password] !== undefined;
  if (hasUser === hasPassword) return [];
  return [{ variable: hasUser ? password : user, message: `required when ${hasUser ? user : password} is set` }];
}

/** Parse the environment; throws CONFIG_INVALID listing every problem, one per line. */
export function loadConfig(env: RawEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems: ConfigProblem[] = [
    ...pairProblems(env, 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'),
    ...pairProblems(env, 'SCHEMA_REGISTRY_USERNAME', 'SCHEMA_REGISTRY_PASSWORD'),
  ];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? '(environment)');
      const shown = env[variable] === undefined ? '' : ` (got ${JSON.stringify(env[variable])})`;
      problems.push({ variable, message: `${issue.message}${shown}` });
    }
  }
  if (env.KAFKA_BROKERS !== undefined && env.SCHEMA_REGISTRY_URL === undefined) {
    problems.push({ variable: 'SCHEMA_REGISTRY_URL', message: 'required when KAFKA_BROKERS is set (events are Avro in the Confluent wire format)' });
  }
  if (problems.length > 0 || !parsed.success) {
    const lines = problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n');
    const error = new RoundhouseError(ErrorCodes.CONFIG_INVALID, `invalid configuration (${problems.length} problem(s)):\n${lines}`, {
      context: { problems: problems.length },
    });
    Object.defineProperty(error, 'problems', { value: problems, enumerable: false });
    throw error;
  }
  const e = parsed.data;
  const config: Config = {
    service: e.ROUNDHOUSE_SERVICE,
    logLevel: e.LOG_LEVEL,
    instanceId: e.ROUNDHOUSE_INSTANCE_ID,
    catalogPath: e.ROUNDHOUSE_CATALOG,
    topicPrefix: e.ROUNDHOUSE_TOPIC_PREFIX,
    kafka: e.KAFKA_BROKERS
      ? {
          brokers: e.KAFKA_BROKERS,
          clientId: e.KAFKA_CLIENT_ID,
          ssl: e.KAFKA_SSL,
          sasl: e.KAFKA_SASL_USERNAME && e.KAFKA_SASL_PASSWORD ? { username: e.KAFKA_SASL_USERNAME, password: e.KAFKA_SASL_PASSWORD } : undefined,
          topicPartitions: e.KAFKA_TOPIC_PARTITIONS,
          replicationFactor: e.KAFKA_REPLICATION_FACTOR,
          sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
        }
      : undefined,
    schemaRegistry: e.SCHEMA_REGISTRY_URL
      ? {
          url: e.SCHEMA_REGISTRY_URL,
          auth:
            e.SCHEMA_REGISTRY_USERNAME && e.SCHEMA_REGISTRY_PASSWORD
              ? { username: e.SCHEMA_REGISTRY_USERNAME, password: e.SCHEMA_REGISTRY_PASSWORD }
              : undefined,
        }
      : undefined,
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    kubernetes: { kubeconfig: e.KUBECONFIG, namespace: e.KUBERNETES_NAMESPACE },
    dispatcher: { port: e.DISPATCHER_PORT, apiTokens: e.DISPATCHER_API_TOKENS ?? [] },
    artifactRoot: e.ARTIFACT_ROOT,
    s3: s3Settings(e),
  };
  return deepFreeze(config);
}

function s3Settings(e: z.infer<typeof EnvSchema>): S3Settings {
  const endpoint = e.ROUNDHOUSE_S3_ENDPOINT ?? e.AWS_ENDPOINT_URL_S3;
  return {
    endpoint,
    region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION,
    forcePathStyle: e.ROUNDHOUSE_S3_FORCE_PATH_STYLE === undefined ? endpoint !== undefined : e.ROUNDHOUSE_S3_FORCE_PATH_STYLE === 'true',
    maxAttempts: e.ROUNDHOUSE_S3_MAX_ATTEMPTS,
    partSizeBytes: e.ROUNDHOUSE_S3_PART_SIZE_MB * 1024 * 1024,
  };
}

export function configProblems(err: unknown): readonly ConfigProblem[] {
  const problems = (err as { problems?: unknown } | null)?.problems;
  return Array.isArray(problems) ? (problems as ConfigProblem[]) : [];
}
