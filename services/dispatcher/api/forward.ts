import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorMessage } from '../../../lib/errors';
import type { Leadership } from '../../../lib/leader';
import { ApiError } from './errors';

/**
 * The API on a standby (docs/leader-election.md). Run state lives in the
 * leader's process only (it rebuilt it from roundhouse.training-runs when it
 * took over), so a standby must not answer from its own, empty, store (issue
 * 14: a GET for the other replica's run was a 404). Both replicas are behind
 * the Service and both are ready, so a standby forwards each call to the
 * URL the leader advertises in its Lease and relays the answer; the leader
 * checks the token again. When no leader is known (a takeover in progress) or
 * it cannot be reached: 503 NOT_LEADER with Retry-After, and the client
 * retries (submissions are idempotent by requestId).
 */
export interface ApiForwarding {
  /** leader: answer here. Otherwise the leader's URL, if it advertised one. */
  target(): { readonly leader: true } | { readonly leader: false; readonly url: string | null; readonly holder: string | null };
  /** Who forwards (the header FORWARDED_BY_HEADER). */
  readonly identity: string;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  /**
   * Resolves once this process, leading, has rebuilt its state; calls that
   * reach a leader still starting wait for it (up to timeoutMs): an answer from
   * a half-rebuilt store would be wrong. Rejects when it stops before that.
   */
  readonly started: () => Promise<void>;
}

/** Set on a forwarded call: a replica that is not the leader either answers 503 instead of forwarding again (no loops). */
export const FORWARDED_BY_HEADER = 'x-roundhouse-forwarded-by';
/** On a relayed answer: which replica answered. */
export const SERVED_BY_HEADER = 'x-roundhouse-served-by';
const RELAYED_HEADERS = ['content-type', 'retry-after', 'www-authenticate', 'allow'] as const;

export function leaderForwarding(leadership: Leadership, started: () => Promise<void>, options: { readonly timeoutMs?: number; readonly fetch?: typeof fetch } = {}): ApiForwarding {
  return {
    started,
    target: () => {
      const status = leadership.status();
      return status.role === 'leader' ? { leader: true } : { leader: false, url: status.role === 'candidate' ? status.leaderUrl : null, holder: status.observedHolder };
    },
    identity: leadership.status().identity,
    timeoutMs: options.timeoutMs ?? 30_000,
    fetch: options.fetch ?? fetch,
  };
}

/** A fastify preHandler: returns the reply when it relayed the leader's answer; throws a 503 ApiError when it cannot. */
export async function forwardUnlessLeader(forwarding: ApiForwarding, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const target = forwarding.target();
  if (target.leader) {
    let cancel: () => void = () => undefined;
    const waited = await Promise.race([
      forwarding.started().then(
        () => 'started' as const,
        () => 'stopped' as const,
      ),
      new Promise<'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), forwarding.timeoutMs);
        cancel = () => clearTimeout(timer);
      }),
    ]);
    cancel();
    if (waited === 'started') return undefined;
    reply.header('retry-after', '1');
    throw new ApiError(503, 'NOT_LEADER', waited === 'stopped' ? 'this replica is stopping; retry' : 'this replica leads but is still rebuilding its run state; retry');
  }
  reply.header('retry-after', '1');
  const from = request.headers[FORWARDED_BY_HEADER];
  if (from !== undefined) throw new ApiError(503, 'NOT_LEADER', `this replica is not the leader either (forwarded by ${String(from)}); retry`);
  if (target.url === null) throw new ApiError(503, 'NOT_LEADER', `this replica is a standby and no leader's address is known${target.holder ? ` (the Lease names ${target.holder})` : ''}; retry`);
  let response: Response;
  try {
    response = await forwarding.fetch(new URL(request.url, target.url), {
      method: request.method,
      headers: {
        ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        [FORWARDED_BY_HEADER]: forwarding.identity,
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(forwarding.timeoutMs),
      redirect: 'manual',
    });
  } catch (error) {
    throw new ApiError(503, 'NOT_LEADER', `this replica is a standby and the leader ${target.holder ?? ''} at ${target.url} did not answer (${errorMessage(error)}); retry`);
  }
  const body = await response.text();
  reply.removeHeader('retry-after');
  for (const name of RELAYED_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) reply.header(name, value);
  }
  if (target.holder) reply.header(SERVED_BY_HEADER, target.holder);
  return reply.code(response.status).send(body);
}
