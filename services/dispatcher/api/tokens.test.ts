import { bearerAuthenticator } from './auth';
import { parseApiTokens } from './tokens';

const SECRET = 'abcdefghijklmnop-secret';

describe('parseApiTokens: name:scope+scope:token entries', () => {
  it('reads identities and scopes; the token is everything after the second colon', () => {
    const { tokens, problems } = parseApiTokens(['ci:read+submit:tok-0123456789abcdef', 'oncall.alice@example:override:a:b:c-0123456789abcdef']);
    expect(problems).toEqual([]);
    expect(tokens).toEqual([
      { name: 'ci', scopes: ['read', 'submit'], token: 'tok-0123456789abcdef' },
      { name: 'oncall.alice@example', scopes: ['override'], token: 'a:b:c-0123456789abcdef' },
    ]);
  });

  it.each<[string, string, RegExp]>([
    ['a bare token (the old format)', SECRET, /expected name:scope\+scope:token/],
    ['an unknown scope', `ci:read+admin:${SECRET}`, /unknown scope\(s\) "admin"/],
    ['no scope', `ci::${SECRET}`, /unknown scope/],
    ['a short token', 'ci:read:short', /at least 16/],
    ['a token with a space', 'ci:read:abcdefgh ijklmnopq', /printable/],
    ['a bad name', `-ci:read:${SECRET}`, /the name must be/],
  ])('refuses %s, without echoing the token', (_name, entry, message) => {
    const { tokens, problems } = parseApiTokens([entry]);
    expect(tokens).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(message)]);
    expect(problems.join('\n')).not.toContain(SECRET);
  });

  it('refuses a name or a token used twice', () => {
    expect(parseApiTokens([`a:read:${SECRET}`, `a:submit:${SECRET}x`]).problems).toEqual([expect.stringContaining('name is used twice')]);
    expect(parseApiTokens([`a:read:${SECRET}`, `b:override:${SECRET}`]).problems).toEqual([expect.stringContaining('two names')]);
  });
});

describe('bearerAuthenticator', () => {
  const authenticate = bearerAuthenticator(parseApiTokens([`reader:read:${SECRET}`, `admin:read+submit+override:${SECRET}-admin`]).tokens);

  it('answers with the identity of the matching token', () => {
    expect(authenticate(`Bearer ${SECRET}`)).toEqual({ name: 'reader', scopes: ['read'] });
    expect(authenticate(`bearer ${SECRET}-admin`)).toEqual({ name: 'admin', scopes: ['read', 'submit', 'override'] });
  });

  it.each([undefined, '', 'Bearer', `Basic ${SECRET}`, `Bearer ${SECRET}-other`, `Bearer ${SECRET.slice(0, -1)}`])('answers null to %p', (header) => {
    expect(authenticate(header)).toBeNull();
  });
});
