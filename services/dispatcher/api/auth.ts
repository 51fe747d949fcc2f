import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiIdentity, ApiToken } from './tokens';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Bearer tokens from configuration, compared in constant time: both sides are
 * hashed to equal-length digests (timingSafeEqual needs equal lengths, and the
 * hash hides the token's length), and every token is compared, match or not, so
 * the time does not say which entry matched either. Returns the caller's
 * identity, or null.
 */
export function bearerAuthenticator(tokens: readonly ApiToken[]): (authorization: string | undefined) => ApiIdentity | null {
  const known = tokens.filter((t) => t.token.length > 0).map((t) => ({ digest: digest(t.token), identity: Object.freeze({ name: t.name, scopes: t.scopes }) }));
  return (authorization) => {
    const match = /^Bearer ([^\s]+)$/i.exec(authorization?.trim() ?? '');
    if (!match) return null;
    const presented = digest(match[1]!);
    let found: ApiIdentity | null = null;
    for (const entry of known) {
      const equal = timingSafeEqual(presented, entry.digest);
      found = equal ? entry.identity : found;
    }
    return found;
  };
}
