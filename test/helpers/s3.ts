/**
 * The stack's S3 server (SeaweedFS, test/stack/seaweedfs.ts) for tests: a
 * random prefix per test in the shared bucket, stores and raw clients with the
 * stack's identity, and the environment a service or trainer process reads it
 * from (ROUNDHOUSE_S3_ENDPOINT via lib/config, credentials via the AWS SDK's
 * default chain, as in production).
 */
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { loadConfig, type S3Settings } from '../../lib/config';
import { S3ArtifactStore } from '../../lib/artifacts/s3-store';
import { uniqueName } from './index';

export interface StackS3 {
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export function stackS3(): StackS3 {
  const endpoint = process.env.ROUNDHOUSE_S3_ENDPOINT;
  const bucket = process.env.ROUNDHOUSE_S3_BUCKET;
  const accessKeyId = process.env.ROUNDHOUSE_S3_ACCESS_KEY_ID;
  const secretAccessKey = process.env.ROUNDHOUSE_S3_SECRET_ACCESS_KEY;
  if (!endpoint || !bucket || !accessKeyId || !secretAccessKey) {
    throw new Error('ROUNDHOUSE_S3_ENDPOINT/_BUCKET/_ACCESS_KEY_ID/_SECRET_ACCESS_KEY are not set: run through jest (the global setup starts SeaweedFS)');
  }
  return { endpoint, bucket, accessKeyId, secretAccessKey };
}

/** A fresh s3://bucket/<random>/ root for one test. */
export function s3TestRoot(what = 's3'): string {
  return `s3://${stackS3().bucket}/${uniqueName(what)}/`;
}

/** What lib/config and the SDK's default chain read in a process that uses the stack's S3. */
export function s3ProcessEnv(extra: Record<string, string> = {}): Record<string, string> {
  const s3 = stackS3();
  return { ROUNDHOUSE_S3_ENDPOINT: s3.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, ...extra };
}

export function s3Settings(extra: Record<string, string> = {}): S3Settings {
  return loadConfig(s3ProcessEnv(extra)).s3;
}

/** Our store on the stack's server, with explicit credentials (in-process tests). */
export function s3Store(root: string, extra: Record<string, string> = {}): S3ArtifactStore {
  const s3 = stackS3();
  return new S3ArtifactStore(root, { settings: s3Settings(extra), credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
}

/** A raw SDK client, to do behind our store's back what a broken disk or a person might. */
export function rawS3(): S3Client {
  const s3 = stackS3();
  return new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
}

/** Removes every object under a test's root (best effort). */
export async function emptyPrefix(root: string): Promise<void> {
  const { bucket } = stackS3();
  const prefix = root.slice(`s3://${bucket}/`.length);
  const client = rawS3();
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const keys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  } finally {
    client.destroy();
  }
}
