import { ErrorCodes } from '../errors';
import { checkDirUri } from './paths';
import { SEGMENT_MAX, decodePathSegment, encodePathSegment, runArtifactDir } from './segment';

describe('encodePathSegment', () => {
  it.each([
    ['card-fraud', 'card-fraud'],
    ['merchant-fraud.MRC_48213', 'merchant-fraud.MRC_48213'],
    ['m.shop/../x', 'm.shop~2F..~2Fx'],
    ['m.shop#1', 'm.shop~231'],
    ['m.shop?x', 'm.shop~3Fx'],
    ['m.a b%c~d', 'm.a~20b~25c~7Ed'],
    ['m.café', 'm.caf~C3~A9'],
    ['m.\u{1F600}', 'm.~F0~9F~98~80'],
    ['.', '~2E'],
    ['..', '~2E~2E'],
    ['...', '~2E~2E~2E'],
    ['a\\b', 'a~5Cb'],
    ['a\u0000b', 'a~00b'],
  ])('%j → %s, and back', (value, encoded) => {
    expect(encodePathSegment(value)).toBe(encoded);
    expect(decodePathSegment(encoded)).toBe(value);
  });

  it('gives distinct segments for values the old paths merged (shop#1, shop#2, shop?x, NFC and NFD)', () => {
    const values = ['m.shop', 'm.shop#1', 'm.shop#2', 'm.shop?x', 'm.shop/', 'm.shop~231', 'm.caf\u00e9', 'm.cafe\u0301', 'm.%2e%2e', 'm...'];
    const encoded = values.map(encodePathSegment);
    expect(new Set(encoded).size).toBe(values.length);
    for (const segment of encoded) expect(segment).toMatch(/^[A-Za-z0-9._~-]+$/);
  });

  it('keeps a long value under SEGMENT_MAX with a readable prefix and a hash: distinct, not reversible', () => {
    const long = `m.${'x'.repeat(300)}`;
    const other = `m.${'x'.repeat(299)}y`;
    const a = encodePathSegment(long);
    expect(a.length).toBeLessThanOrEqual(SEGMENT_MAX);
    expect(a).toMatch(/^m\.x+~~[0-9a-f]{32}$/);
    expect(encodePathSegment(other)).not.toBe(a);
    expect(decodePathSegment(a)).toBeNull();
    // A prefix is never cut inside an escape.
    const unicode = encodePathSegment(`m.${'é'.repeat(100)}`);
    expect(unicode.length).toBeLessThanOrEqual(SEGMENT_MAX);
    expect(unicode).toMatch(/^m\.(~C3~A9)+~~[0-9a-f]{32}$/);
    // Exactly at the limit stays reversible.
    const edge = `m.${'x'.repeat(SEGMENT_MAX - 2)}`;
    expect(encodePathSegment(edge)).toBe(edge);
  });

  it.each([
    ['an empty value', ''],
    ['a lone surrogate', 'm.\uD800'],
  ])('refuses %s (VALIDATION)', (_what, value) => {
    expect(() => encodePathSegment(value)).toThrow(expect.objectContaining({ code: ErrorCodes.VALIDATION, retriable: false }));
  });

  it.each(['~41', 'a~2', 'a~zz', 'a/b', 'a%20b', '~FF', '..', ''])('%j is not an encoded segment', (segment) => {
    expect(decodePathSegment(segment)).toBeNull();
  });
});

describe('runArtifactDir', () => {
  it('is <root>/<encoded model>/<runId>-<nonce>/, and <runId>/ for a run without a nonce', () => {
    expect(runArtifactDir('file:///var/artifacts/', 'card-fraud', 'run-1', '0a1b2c3d')).toBe('file:///var/artifacts/card-fraud/run-1-0a1b2c3d/');
    expect(runArtifactDir('s3://b/p', 'm.shop/../x', 'run-1', '0a1b2c3d')).toBe('s3://b/p/m.shop~2F..~2Fx/run-1-0a1b2c3d/');
    expect(runArtifactDir('s3://b/p', 'card-fraud', 'run-1', null)).toBe('s3://b/p/card-fraud/run-1/');
  });

  it('two attempts of one run get two directories', () => {
    expect(runArtifactDir('s3://b', 'm', 'run-1', 'aaaaaaaa')).not.toBe(runArtifactDir('s3://b', 'm', 'run-1', 'bbbbbbbb'));
  });

  it.each(['m.shop/../../x', 'm./', 'm...', 'm.#', 'm.?', 'm.\\'])('%j stays one directory below the root that every store accepts', (modelId) => {
    const dir = runArtifactDir('s3://b/p', modelId, 'run-1', 'aaaaaaaa');
    expect(checkDirUri(dir)).toBe(dir);
    expect(dir.slice('s3://b/p/'.length).split('/')).toHaveLength(3);
  });
});
