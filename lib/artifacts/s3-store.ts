import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Settings } from '../config';
import { tooLargeError } from './errors';
import { objectKey, objectUri, parseS3Root, type S3Root } from './paths';
import { s3Error } from './s3-errors';
import type { ArtifactStore, ReadOptions } from './types';

/**
 * s3://bucket/prefix/ artifact directories, on AWS S3 or an S3-compatible
 * server (SeaweedFS in our tests) through @aws-sdk/client-s3.
 *
 * - Atomic per object: S3 makes a PUT, or a multipart upload's Complete,
 *   visible whole or not at all; writeArtifact writes manifest.json last, so a
 *   directory without one is "not published".
 * - Objects above `partSizeBytes` (holdouts) go up in parts, two at a time; a
 *   failed upload is aborted, leaving no parts behind.
 * - Reads are bounded: with `maxBytes` a larger object is refused from its
 *   Content-Length before its body is read, and the body is cut off if it runs
 *   past it anyway.
 * - Keys stay under the root's prefix (paths.ts): a directory elsewhere is refused.
 * - Credentials: the SDK's default chain (env, shared config, IRSA web
 *   identity, container/instance roles) unless given. Retries: the SDK's
 *   standard strategy (throttling, 5xx, timeouts) up to `maxAttempts`; what is
 *   left is mapped by s3-errors.ts (STORAGE_UNAVAILABLE, retriable or not).
 */

export interface S3StoreOptions {
  readonly settings: S3Settings;
  /** Tests and tools only; services use the default chain. */
  readonly credentials?: S3ClientConfig['credentials'];
  /** A client to use instead of building one from `settings`. */
  readonly client?: S3Client;
}

/** Connect within 5 s; a socket silent for 60 s is dead (the SDK then retries). */
const CONNECTION_TIMEOUT_MS = 5_000;
const SOCKET_TIMEOUT_MS = 60_000;

/** Pure: the client configuration for our settings. */
export function s3ClientConfig(settings: S3Settings, credentials?: S3StoreOptions['credentials']): S3ClientConfig {
  return {
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    // Signing needs a region even for an S3-compatible server, which ignores it.
    ...(settings.region !== undefined ? { region: settings.region } : settings.endpoint !== undefined ? { region: 'us-east-1' } : {}),
    forcePathStyle: settings.forcePathStyle,
    maxAttempts: settings.maxAttempts,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, socketTimeout: SOCKET_TIMEOUT_MS },
    ...(credentials !== undefined ? { credentials } : {}),
  };
}

export class S3ArtifactStore implements ArtifactStore {
  readonly root: S3Root;
  private readonly client: S3Client;
  private readonly partSizeBytes: number;

  constructor(rootUri: string, options: S3StoreOptions) {
    this.root = parseS3Root(rootUri);
    this.client = options.client ?? new S3Client(s3ClientConfig(options.settings, options.credentials));
    this.partSizeBytes = options.settings.partSizeBytes;
  }

  async writeFile(dirUri: string, name: string, data: Buffer): Promise<void> {
    const Key = objectKey(this.root, dirUri, name);
    const params = { Bucket: this.root.bucket, Key, Body: data };
    try {
      if (data.length <= this.partSizeBytes) {
        await this.client.send(new PutObjectCommand({ ...params, ContentLength: data.length }));
      } else {
        await new Upload({ client: this.client, params, partSize: this.partSizeBytes, queueSize: 2, leavePartsOnError: false }).done();
      }
    } catch (error) {
      throw s3Error(error, 'writing', objectUri(this.root, Key));
    }
  }

  async readFile(dirUri: string, name: string, options: ReadOptions = {}): Promise<Buffer> {
    const Key = objectKey(this.root, dirUri, name);
    const uri = objectUri(this.root, Key);
    let response;
    try {
      response = await this.client.send(new GetObjectCommand({ Bucket: this.root.bucket, Key }));
    } catch (error) {
      throw s3Error(error, 'reading', uri);
    }
    const body = response.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
    const { maxBytes } = options;
    if (maxBytes !== undefined && response.ContentLength !== undefined && response.ContentLength > maxBytes) {
      body?.destroy?.();
      throw tooLargeError(uri, response.ContentLength, maxBytes);
    }
    if (body === undefined) return Buffer.alloc(0);
    try {
      return await readBounded(body, maxBytes, () => tooLargeError(uri, null, maxBytes ?? 0));
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ARTIFACT_INTEGRITY') throw error;
      throw s3Error(error, 'reading', uri);
    }
  }

  async exists(dirUri: string, name: string): Promise<boolean> {
    const Key = objectKey(this.root, dirUri, name);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.root.bucket, Key }));
      return true;
    } catch (error) {
      const mapped = s3Error(error, 'checking', objectUri(this.root, Key));
      if (mapped.code === 'NOT_FOUND') return false;
      throw mapped;
    }
  }

  /** Closes the client's sockets. */
  destroy(): void {
    this.client.destroy();
  }
}

/**
 * Collects a body, stopping (and destroying the stream) as soon as it passes
 * `maxBytes`: a server that sends more than it announced is not read to the end.
 */
export async function readBounded(
  body: AsyncIterable<Uint8Array> & { destroy?: () => void },
  maxBytes: number | undefined,
  tooLarge: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (maxBytes !== undefined && total > maxBytes) {
      body.destroy?.();
      throw tooLarge();
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  return Buffer.concat(chunks, total);
}
