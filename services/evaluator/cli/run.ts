import { COMMAND_FORMAT, type EvaluatorCommand } from '../commands';
import type { CliRequest } from './args';

/**
 * Carrying out a parsed CLI request: through the dispatcher's API (the usual
 * way: authenticated, validated, one entry point) or straight onto the commands
 * topic. I/O is injected so tests drive it against a real dispatcher server and
 * a memory bus.
 */
export interface CliDeps {
  readonly fetch: typeof fetch;
  readonly readFile: (path: string) => Promise<string>;
  /** Publishes the command to the commands topic; returns the topic. */
  readonly publishDirect: (command: EvaluatorCommand) => Promise<string>;
  readonly now: () => number;
  readonly newId: () => string;
}

export interface CliEnv {
  readonly apiUrl: string | null;
  readonly apiToken: string | null;
}

export interface CliOutcome {
  readonly via: 'api' | 'kafka';
  readonly commandId: string;
  readonly modelId: string;
  readonly action: EvaluatorCommand['action'];
  /** As recorded: the token's name through the API, --actor with --kafka. */
  readonly actor: string;
  readonly topic: string;
}

export class CliError extends Error {}

export function toCommand(request: CliRequest, commandId: string, issuedAt: number): EvaluatorCommand {
  if (request.actor === null) throw new CliError('--actor is required when publishing straight to Kafka');
  const common = { format: COMMAND_FORMAT, commandId, modelId: request.modelId, actor: request.actor, reason: request.reason, issuedAt, source: 'cli' } as const;
  if (request.action === 'rollback') return { ...common, action: 'ROLLBACK', targetVersion: request.version! };
  return { ...common, action: request.action === 'force-promote' ? 'FORCE_PROMOTE' : 'FORCE_REJECT', runId: request.runId! };
}

async function viaApi(request: CliRequest, api: string, token: string, commandId: string, deps: CliDeps): Promise<CliOutcome> {
  const rollback = request.action === 'rollback';
  const url = `${api.replace(/\/+$/, '')}/v1/models/${encodeURIComponent(request.modelId)}/${rollback ? 'rollback' : 'promotions'}`;
  // No actor: the dispatcher records the token's name (it refuses an actor in the body).
  const body = rollback ? { version: request.version, reason: request.reason, commandId } : { action: request.action, runId: request.runId, reason: request.reason, commandId };
  let response: Response;
  try {
    response = await deps.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  } catch (error) {
    throw new CliError(`cannot reach ${url}: ${(error as Error).message}`);
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: reported below with the raw text
  }
  if (response.status !== 202) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new CliError(`${response.status} ${error?.code ?? ''}: ${error?.message ?? text}`.trim());
  }
  const accepted = json as { commandId: string; modelId: string; action: EvaluatorCommand['action']; actor: string; topic: string };
  return { via: 'api', commandId: accepted.commandId, modelId: accepted.modelId, action: accepted.action, actor: accepted.actor, topic: accepted.topic };
}

export async function runCli(request: CliRequest, env: CliEnv, deps: CliDeps): Promise<CliOutcome> {
  const commandId = request.commandId ?? `cmd-${deps.newId()}`;
  const api = request.kafka ? null : (request.api ?? env.apiUrl);
  if (api !== null) {
    if (request.actor !== null) throw new CliError("--actor is not sent through the API: the dispatcher records the token's name as the actor (use --kafka to name an actor yourself)");
    const token = request.tokenFile !== null ? (await deps.readFile(request.tokenFile)).trim() : (request.token ?? env.apiToken);
    if (!token) throw new CliError('the API needs a bearer token: --token, --token-file or ROUNDHOUSE_API_TOKEN');
    return viaApi(request, api, token, commandId, deps);
  }
  const command = toCommand(request, commandId, deps.now());
  const topic = await deps.publishDirect(command);
  return { via: 'kafka', commandId, modelId: command.modelId, action: command.action, actor: command.actor, topic };
}
