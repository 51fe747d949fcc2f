import { ErrorCodes } from '../errors';
import { checkDirUri, checkFileName, objectKey, parseS3Root } from './paths';

describe('artifact paths', () => {
  it.each(['model.json', 'holdout.jsonl.gz', 'a b'])('%s is a plain file name', (name) => {
    expect(checkFileName(name)).toBe(name);
  });

  it.each(['', '.', '..', '../x', 'a/b', 'a\\b', '.hidden', 'x\n'])('%j is refused as a file name (VALIDATION)', (name) => {
    expect(() => checkFileName(name)).toThrow(expect.objectContaining({ code: ErrorCodes.VALIDATION, retriable: false }));
  });

  it('normalises directories to one trailing slash and refuses .., . and empty segments', () => {
    expect(checkDirUri('s3://b/p/m/r')).toBe('s3://b/p/m/r/');
    expect(checkDirUri('s3://b/p/m/r//')).toBe('s3://b/p/m/r/');
    expect(checkDirUri('file:///var/a/', { allowDot: true })).toBe('file:///var/a/');
    expect(checkDirUri('file://./artifacts/m/', { allowDot: true })).toBe('file://./artifacts/m/');
    for (const bad of ['s3://b/p/../q/', 's3://b/p/./q/', 's3://b//q/', 's3://b/p\\q/', 'file:///a/../../etc/']) {
      expect(() => checkDirUri(bad)).toThrow(expect.objectContaining({ code: ErrorCodes.VALIDATION }));
    }
  });

  it('parses s3:// roots', () => {
    expect(parseS3Root('s3://bucket')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(parseS3Root('s3://bucket/')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(parseS3Root('s3://my.bucket-1/a/b')).toEqual({ bucket: 'my.bucket-1', prefix: 'a/b/' });
    for (const bad of ['s3://', 's3://UPPER/x', 's3://b/a//c', 'file:///x', 's3://b/./x']) {
      expect(() => parseS3Root(bad)).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID }));
    }
  });

  describe('objectKey', () => {
    const root = parseS3Root('s3://bucket/prod/');
    it('is the path after the bucket plus the name', () => {
      expect(objectKey(root, 's3://bucket/prod/card-fraud/run-1/', 'model.json')).toBe('prod/card-fraud/run-1/model.json');
      expect(objectKey(root, 's3://bucket/prod/card-fraud/run-1', 'model.json')).toBe('prod/card-fraud/run-1/model.json');
      expect(objectKey(parseS3Root('s3://bucket'), 's3://bucket/m/r/', 'x')).toBe('m/r/x');
    });

    it.each([
      ['another bucket', 's3://other/prod/m/r/', 'model.json', /outside this store's root/],
      ['a sibling prefix', 's3://bucket/production/m/r/', 'model.json', /outside this store's root/],
      ['above the prefix', 's3://bucket/m/r/', 'model.json', /outside this store's root/],
      ['a climb out of the prefix', 's3://bucket/prod/../secrets/', 'model.json', /"\.\."/],
      ['a name with a slash', 's3://bucket/prod/m/r/', '../../x', /plain file name/],
      ['another scheme', 'file:///prod/m/r/', 'model.json', /outside this store's root/],
      ['a key over 1024 bytes', `s3://bucket/prod/${'a'.repeat(1020)}/`, 'model.json', /longer than 1024 bytes/],
    ])('refuses %s (VALIDATION)', (_what, dir, name, message) => {
      expect(() => objectKey(root, dir, name)).toThrow(expect.objectContaining({ code: ErrorCodes.VALIDATION, retriable: false, message: expect.stringMatching(message) }));
    });
  });
});
