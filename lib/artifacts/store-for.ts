import type { S3Settings } from '../config';
import { ErrorCodes, RoundhouseError } from '../errors';
import { FileArtifactStore } from './file-store';
import { S3ArtifactStore, type S3StoreOptions } from './s3-store';
import type { ArtifactStore } from './types';

export interface StoreForOptions {
  /** Directory that relative file:// URIs resolve against (default: the working directory). */
  readonly baseDir?: string;
  /** lib/config's S3 settings; needed for s3:// URIs. */
  readonly s3?: S3Settings;
  /** s3:// only: explicit credentials (tests); otherwise the SDK's default chain. */
  readonly s3Credentials?: S3StoreOptions['credentials'];
}

/**
 * The ArtifactStore for a URI's scheme: file:// (a local or mounted directory,
 * paths confined to it) or s3://bucket/prefix/ (keys confined to that prefix). Anything else is
 * CONFIG_INVALID, not retriable.
 */
export function artifactStoreFor(uri: string, options: StoreForOptions = {}): ArtifactStore {
  if (uri.startsWith('file://')) return new FileArtifactStore(uri, options.baseDir);
  if (uri.startsWith('s3://')) {
    if (options.s3 === undefined) {
      throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `s3:// artifact URI ${uri} given without S3 settings (lib/config's config.s3)`, { retriable: false, context: { uri } });
    }
    return new S3ArtifactStore(uri, { settings: options.s3, ...(options.s3Credentials !== undefined ? { credentials: options.s3Credentials } : {}) });
  }
  throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `unsupported artifact URI scheme: ${uri} (expected file:// or s3://)`, { retriable: false, context: { uri } });
}
