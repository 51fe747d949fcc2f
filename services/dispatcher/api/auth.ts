import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Bearer tokens from configuration, compared in constant time: both sides are
 * hashed to equal-length digests (timingSafeEqual needs equal lengths, and the
 * hash hides the token's length), and every token is compared, match or not.
 */
export function bearerAuthenticator(tokens: readonly string[]): (authorization: string | undefined) => boolean {
  const digests = tokens.filter((t) => t.length > 0).map(digest);
  return (authorization) => {
    const match = /^Bearer ([^\s]+)$/i.exec(authorization?.trim() ?? '');
    if (!match) return false;
    const presented = digest(match[1]!);
    let ok = false;
    for (const known of digests) ok = timingSafeEqual(presented, known) || ok;
    return ok;
  };
}
