import { loadConfig } from '../config';
import { ErrorCodes, errorCode, isRetriable } from '../errors';
import { FileArtifactStore } from './file-store';
import { S3ArtifactStore } from './s3-store';
import { artifactStoreFor } from './store-for';

describe('artifactStoreFor', () => {
  const s3 = loadConfig({ ROUNDHOUSE_S3_ENDPOINT: 'http://127.0.0.1:1' }).s3;

  it('file:// is the file store, s3:// the S3 store rooted at the URI', () => {
    expect(artifactStoreFor('file:///tmp/x/')).toBeInstanceOf(FileArtifactStore);
    const store = artifactStoreFor('s3://roundhouse-artifacts/prod/', { s3 });
    expect(store).toBeInstanceOf(S3ArtifactStore);
    expect((store as S3ArtifactStore).root).toEqual({ bucket: 'roundhouse-artifacts', prefix: 'prod/' });
    (store as S3ArtifactStore).destroy();
  });

  it.each([
    ['s3:// without S3 settings', () => artifactStoreFor('s3://bucket/prefix/'), /without S3 settings/],
    ['an invalid bucket', () => artifactStoreFor('s3://Bad_Bucket/x/', { s3 }), /not a valid S3 bucket name/],
    ['a prefix with ..', () => artifactStoreFor('s3://bucket/a/../b/', { s3 }), /"\.\."/],
    ['another scheme', () => artifactStoreFor('gs://bucket/x/', { s3 }), /unsupported artifact URI scheme/],
  ])('%s is CONFIG_INVALID, not retriable', (_what, make, message) => {
    let error: unknown;
    try {
      make();
    } catch (e) {
      error = e;
    }
    expect(errorCode(error)).toBe(ErrorCodes.CONFIG_INVALID);
    expect(isRetriable(error)).toBe(false);
    expect((error as Error).message).toMatch(message);
  });
});
