/**
 * API tokens with an identity and scopes (issue 14: any token could force-promote,
 * and the audit actor was whatever the body said). DISPATCHER_API_TOKENS holds
 * comma-separated entries `name:scope+scope:token`, e.g.
 *
 *   ci:read+submit:3f9c…,oncall-alice:read+override:a71b…
 *
 * `name` is the identity recorded as the actor of override commands and the
 * default requester of runs; the token is everything after the second colon.
 * Problems are reported by entry number and name, never with the token.
 */
export const API_SCOPES = ['read', 'submit', 'override'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Readonly<Record<ApiScope, string>> = {
  read: 'read runs (GET /v1/runs/{runId}, GET /v1/models/{modelId}/runs)',
  submit: 'ask for and cancel runs (POST /v1/runs, POST /v1/runs/{runId}/cancel)',
  override: "overrule the evaluator (force-promote, force-reject, rollback); the token's name is the recorded actor",
};

export interface ApiToken {
  readonly name: string;
  readonly scopes: readonly ApiScope[];
  readonly token: string;
}

/** Who called, once the token is checked. */
export interface ApiIdentity {
  readonly name: string;
  readonly scopes: readonly ApiScope[];
}

export const TOKEN_MIN_LENGTH = 16;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const TOKEN = /^[\x21-\x7e]+$/;

export function parseApiTokens(entries: readonly string[]): { readonly tokens: readonly ApiToken[]; readonly problems: readonly string[] } {
  const tokens: ApiToken[] = [];
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    const where = `entry ${index + 1}`;
    const first = entry.indexOf(':');
    const second = first < 0 ? -1 : entry.indexOf(':', first + 1);
    if (second < 0) {
      problems.push(`${where}: expected name:scope+scope:token (bare tokens are no longer accepted: give each an identity and scopes)`);
      return;
    }
    const name = entry.slice(0, first);
    const scopes = entry.slice(first + 1, second).split('+');
    const token = entry.slice(second + 1);
    const at = `${where} (${NAME.test(name) ? JSON.stringify(name) : 'unnamed'})`;
    const before = problems.length;
    if (!NAME.test(name)) problems.push(`${where}: the name must be 1-64 characters of [A-Za-z0-9._@-], starting with a letter or digit`);
    const unknown = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) problems.push(`${at}: unknown scope(s) ${unknown.map((s) => JSON.stringify(s)).join(', ')}; expected ${API_SCOPES.join(', ')}`);
    if (token.length < TOKEN_MIN_LENGTH || !TOKEN.test(token)) problems.push(`${at}: the token must be at least ${TOKEN_MIN_LENGTH} printable characters without spaces`);
    if (tokens.some((t) => t.name === name)) problems.push(`${at}: the name is used twice`);
    if (tokens.some((t) => t.token === token)) problems.push(`${at}: the same token is given to two names (the actor would be ambiguous)`);
    if (problems.length === before) tokens.push(Object.freeze({ name, scopes: Object.freeze([...new Set(scopes as ApiScope[])]), token }));
  });
  return { tokens: Object.freeze(tokens), problems };
}
