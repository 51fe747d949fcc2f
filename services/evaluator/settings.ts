import { z } from 'zod';
import { parseDuration } from '../../lib/catalog';
import type { Config, RawEnv } from '../../lib/config';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import { DEFAULT_ARTIFACT_LIMITS, type ArtifactLimits } from './limits';
import { parseLeaderSettings, type LeaderSettings } from '../../lib/leader';

/**
 * The evaluator's own settings, from EVALUATOR_* variables that lib/config does
 * not know. Same rules as lib/config (STYLE.md item 8): main.ts passes the
 * environment in, every problem is reported with its variable, the result is frozen.
 */
export interface EvaluatorSettings {
  /** Consumer group of the results consumer (the commands consumer adds `-commands`). */
  readonly groupId: string;
  /** How long start-up waits for the state topics to be read before consuming anyway. */
  readonly catchUpTimeoutMs: number;
  /** Directory that relative file:// artifact URIs resolve against. */
  readonly artifactBaseDir: string | null;
  /** How much of an artifact is read (limits.ts): EVALUATOR_MAX_*. */
  readonly artifactLimits: ArtifactLimits;
  /** EVALUATOR_LEADER_ELECTION and EVALUATOR_LEASE_* (lib/leader/settings.ts). */
  readonly leader: LeaderSettings;
  /** Null: the in-cluster ServiceAccount (KUBECONFIG otherwise). */
  readonly kubeconfigPath: string | null;
}

const duration = z.string().transform((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  return parsed.ms;
});

const MiB = 1024 * 1024;
const count = (max: number) => z.coerce.number().int().min(1).max(max);
const mebibytes = (fallback: number) => count(64 * 1024).default(fallback / MiB);

const Env = z.object({
  EVALUATOR_GROUP_ID: z.string().min(1).optional(),
  EVALUATOR_CATCH_UP_TIMEOUT: duration.default(60_000),
  EVALUATOR_ARTIFACT_BASE_DIR: z.string().min(1).optional(),
  EVALUATOR_MAX_FILE_MB: mebibytes(DEFAULT_ARTIFACT_LIMITS.maxFileBytes),
  EVALUATOR_MAX_MODEL_MB: mebibytes(DEFAULT_ARTIFACT_LIMITS.maxModelBytes),
  EVALUATOR_MAX_MODEL_COLUMNS: count(1 << 26).default(DEFAULT_ARTIFACT_LIMITS.maxModelColumns),
  EVALUATOR_MAX_HOLDOUT_MB: mebibytes(DEFAULT_ARTIFACT_LIMITS.maxHoldoutBytes),
  EVALUATOR_MAX_HOLDOUT_ROWS: count(1e9).default(DEFAULT_ARTIFACT_LIMITS.maxHoldoutRows),
  EVALUATOR_MAX_HOLDOUT_COLUMNS: count(1e6).default(DEFAULT_ARTIFACT_LIMITS.maxHoldoutColumns),
});

export function loadEvaluatorSettings(env: RawEnv, config: Config): EvaluatorSettings {
  const parsed = Env.safeParse(env);
  const leader = parseLeaderSettings(env, config, { prefix: 'EVALUATOR', service: 'evaluator' });
  if (!parsed.success || leader.problems.length > 0) {
    const lines = (parsed.error?.issues ?? []).map((issue) => {
      const variable = String(issue.path[0] ?? '(environment)');
      return `  ${variable}: ${issue.message}${env[variable] === undefined ? '' : ` (got ${JSON.stringify(env[variable])})`}`;
    });
    lines.push(...leader.problems.map((problem) => `  ${problem}`));
    throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `invalid evaluator configuration (${lines.length} problem(s)):\n${lines.join('\n')}`);
  }
  const e = parsed.data!;
  return Object.freeze({
    // Deployments sharing a cluster are told apart by their topic prefix; so are their groups.
    groupId: e.EVALUATOR_GROUP_ID ?? `${config.topicPrefix}roundhouse-evaluator`,
    catchUpTimeoutMs: e.EVALUATOR_CATCH_UP_TIMEOUT,
    artifactBaseDir: e.EVALUATOR_ARTIFACT_BASE_DIR ?? null,
    artifactLimits: Object.freeze({
      maxFileBytes: e.EVALUATOR_MAX_FILE_MB * MiB,
      maxModelBytes: e.EVALUATOR_MAX_MODEL_MB * MiB,
      maxModelColumns: e.EVALUATOR_MAX_MODEL_COLUMNS,
      maxHoldoutBytes: e.EVALUATOR_MAX_HOLDOUT_MB * MiB,
      maxHoldoutRows: e.EVALUATOR_MAX_HOLDOUT_ROWS,
      maxHoldoutColumns: e.EVALUATOR_MAX_HOLDOUT_COLUMNS,
    }),
    leader: leader.settings!,
    kubeconfigPath: config.kubernetes.kubeconfig ?? null,
  });
}
