import { z } from 'zod';
import { parseDuration } from '../../lib/catalog';
import type { Config, RawEnv } from '../../lib/config';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
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

const Env = z.object({
  EVALUATOR_GROUP_ID: z.string().min(1).optional(),
  EVALUATOR_CATCH_UP_TIMEOUT: duration.default(60_000),
  EVALUATOR_ARTIFACT_BASE_DIR: z.string().min(1).optional(),
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
    leader: leader.settings!,
    kubeconfigPath: config.kubernetes.kubeconfig ?? null,
  });
}
