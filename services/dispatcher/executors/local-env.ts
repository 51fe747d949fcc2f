/**
 * The environment a local trainer process gets: an allowlist of the dispatcher's
 * own, never all of it (issue 14: trainers inherited DISPATCHER_API_TOKENS and the
 * dispatcher's SASL password). Pure; settings.ts applies it to the environment
 * main.ts passes in.
 *
 * Passed through:
 * - the process basics: PATH, HOME, TMPDIR/TMP/TEMP, LANG, LANGUAGE, TZ, LC_*,
 *   SSL_CERT_FILE/SSL_CERT_DIR, USER/LOGNAME, PYTHONPATH/VIRTUAL_ENV, NODE_*
 *   (NODE_OPTIONS, NODE_EXTRA_CA_CERTS, …);
 * - what a trainer reads: KAFKA_*, SCHEMA_REGISTRY_* (the URL without any
 *   user:password in it), ROUNDHOUSE_*, ARTIFACT_*, AWS_* (an S3 artifact
 *   store), LOG_LEVEL;
 * - never a name that looks like a credential (PASSWORD, SECRET, TOKEN,
 *   CREDENTIAL, PRIVATE_KEY), the dispatcher's own Kafka, registry and S3 identity
 *   (KAFKA_SASL_USERNAME, SCHEMA_REGISTRY_USERNAME, AWS_ACCESS_KEY_ID), nor ROUNDHOUSE_INSTANCE_ID,
 *   ROUNDHOUSE_SERVICE (the dispatcher's, not the trainer's);
 * - DISPATCHER_LOCAL_TRAINER_ENV_<NAME> is given to the trainer as <NAME>, over all of
 *   the above: that is how a local trainer gets credentials of its own (a
 *   separate Kafka principal, docs/runbook.md), e.g.
 *   DISPATCHER_LOCAL_TRAINER_ENV_KAFKA_SASL_PASSWORD. (Kubernetes Jobs get credentials
 *   only by Secret reference: settings.ts DISPATCHER_TRAINER_SECRET_REFS.)
 */
import type { RawEnv } from '../../../lib/config';

export const TRAINER_ENV_PREFIX = 'DISPATCHER_LOCAL_TRAINER_ENV_';

const EXACT = new Set(['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LANGUAGE', 'TZ', 'USER', 'LOGNAME', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'PYTHONPATH', 'VIRTUAL_ENV', 'LOG_LEVEL']);
const PREFIXES = ['LC_', 'NODE_', 'KAFKA_', 'SCHEMA_REGISTRY_', 'ROUNDHOUSE_', 'ARTIFACT_', 'AWS_'];
const CREDENTIAL = /PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY/i;
const DISPATCHER_ONLY = new Set(['KAFKA_SASL_USERNAME', 'SCHEMA_REGISTRY_USERNAME', 'AWS_ACCESS_KEY_ID', 'ROUNDHOUSE_INSTANCE_ID', 'ROUNDHOUSE_SERVICE']);

/** Whether the dispatcher's variable `name` may be handed to a trainer as it is. */
export function passesToTrainer(name: string): boolean {
  if (CREDENTIAL.test(name) || DISPATCHER_ONLY.has(name) || name.startsWith(TRAINER_ENV_PREFIX)) return false;
  return EXACT.has(name) || PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** A URL without its user:password part (registry URLs may embed credentials). */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

export function trainerProcessEnv(parent: RawEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) if (value !== undefined && passesToTrainer(name)) env[name] = value;
  if (env.SCHEMA_REGISTRY_URL !== undefined) env.SCHEMA_REGISTRY_URL = withoutCredentials(env.SCHEMA_REGISTRY_URL);
  for (const [name, value] of Object.entries(parent)) {
    if (value !== undefined && name.startsWith(TRAINER_ENV_PREFIX) && name.length > TRAINER_ENV_PREFIX.length) env[name.slice(TRAINER_ENV_PREFIX.length)] = value;
  }
  return env;
}
