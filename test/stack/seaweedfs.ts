/**
 * An S3-compatible server for s3:// artifact tests: SeaweedFS's `weed server`
 * (master, volume server, filer and S3 gateway in one process) built from the
 * Go module proxy (seaweedfs-build.ts), on 127.0.0.1 ports of its own, with one
 * static identity and one bucket made at start. MinIO's server is AGPL: not used.
 *
 * Exports ROUNDHOUSE_S3_ENDPOINT, ROUNDHOUSE_S3_BUCKET and the identity as
 * ROUNDHOUSE_S3_ACCESS_KEY_ID / ROUNDHOUSE_S3_SECRET_ACCESS_KEY (not AWS_*: an
 * `eval "$(npm run -s stack:up)"` must not replace a developer's own AWS
 * credentials). Set all four to use another server; nothing is started then.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ComponentPlan, RunningComponent, StackComponent, StackContext } from './component';
import { findGo } from './go';
import { buildSeaweedfs, isWeedBuilt, SEAWEEDFS_MIN_GO, SEAWEEDFS_VERSION, seaweedfsHome, weedPath } from './seaweedfs-build';
import { pollUntilReady, spawnService } from './util';

const WHAT = `SeaweedFS (weed ${SEAWEEDFS_VERSION})`;
/** The bucket the tests share; each test uses a random prefix in it. */
export const STACK_BUCKET = 'roundhouse-test';

export const seaweedfsComponent: StackComponent = {
  name: 'seaweedfs',
  provides: ['ROUNDHOUSE_S3_ENDPOINT', 'ROUNDHOUSE_S3_BUCKET', 'ROUNDHOUSE_S3_ACCESS_KEY_ID', 'ROUNDHOUSE_S3_SECRET_ACCESS_KEY'],
  async plan(ctx) {
    const home = seaweedfsHome(ctx.cacheRoot);
    if (!(await isWeedBuilt(home))) await findGo(SEAWEEDFS_MIN_GO, WHAT);
    return seaweedfsPlan(ctx, home);
  },
};

/** `weed server` flags: everything on 127.0.0.1, every port chosen (gRPC defaults to port+10000), extras and telemetry off. */
export function weedServerArgs(o: { dataDir: string; runDir: string; s3Config: string; ports: Readonly<Record<'master' | 'masterGrpc' | 'volume' | 'volumeGrpc' | 'filer' | 'filerGrpc' | 's3' | 's3Grpc', number>> }): string[] {
  const p = o.ports;
  return [
    '-logtostderr',
    'server',
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-dir=${o.dataDir}`,
    `-master.port=${p.master}`,
    `-master.port.grpc=${p.masterGrpc}`,
    // It reports usage to a public URL by default; nothing here leaves the machine.
    '-master.telemetry=false',
    '-master.volumeSizeLimitMB=64',
    '-volume.max=64',
    `-volume.port=${p.volume}`,
    `-volume.port.grpc=${p.volumeGrpc}`,
    '-filer',
    `-filer.port=${p.filer}`,
    `-filer.port.grpc=${p.filerGrpc}`,
    `-filer.localSocket=${path.join(o.runDir, 'filer.sock')}`,
    '-s3',
    `-s3.port=${p.s3}`,
    `-s3.port.grpc=${p.s3Grpc}`,
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    // As on AWS: writing to a bucket that does not exist fails (SeaweedFS would create it for an admin).
    '-s3.autoCreateBucket=false',
    `-s3.config=${o.s3Config}`,
    `-s3.localSocket=${path.join(o.runDir, 's3.sock')}`,
  ];
}

/** The S3 gateway's identities: one with every action on every bucket. */
export function s3IdentityConfig(accessKey: string, secretKey: string): string {
  return `${JSON.stringify({ identities: [{ name: 'roundhouse-test', credentials: [{ accessKey, secretKey }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] }] }, null, 2)}\n`;
}

function seaweedfsPlan(ctx: StackContext, home: string): ComponentPlan {
  return {
    async fetch() {
      await buildSeaweedfs(ctx.cacheRoot, ctx.log);
    },

    async start(runDir): Promise<RunningComponent> {
      const names = ['master', 'masterGrpc', 'volume', 'volumeGrpc', 'filer', 'filerGrpc', 's3', 's3Grpc'] as const;
      const ports = {} as Record<(typeof names)[number], number>;
      for (const name of names) ports[name] = await ctx.ports.next();
      const accessKey = `RH${randomBytes(9).toString('hex').toUpperCase()}`;
      const secretKey = randomBytes(20).toString('hex');
      const dataDir = path.join(runDir, 'data');
      const s3Config = path.join(runDir, 's3.json');
      await fs.mkdir(dataDir, { recursive: true });
      await fs.writeFile(s3Config, s3IdentityConfig(accessKey, secretKey), { mode: 0o600 });

      const endpoint = `http://127.0.0.1:${ports.s3}`;
      ctx.log(`starting ${WHAT} with S3 on ${endpoint}`);
      const proc = spawnService({
        name: 'seaweedfs',
        command: weedPath(home),
        args: weedServerArgs({ dataDir, runDir, s3Config, ports }),
        cwd: runDir,
        stdoutFile: path.join(runDir, 'weed.log'),
        logFiles: [],
        detached: ctx.detached,
      });
      const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey }, maxAttempts: 1 });
      try {
        // Ready: the bucket exists and an object goes in and comes back (volumes allocated, filer up).
        await pollUntilReady(WHAT, () => bucketWorks(client), { timeoutMs: ctx.readyTimeoutMs, process: proc });
      } catch (err) {
        await proc.stop();
        throw err;
      } finally {
        client.destroy();
      }
      return {
        name: 'seaweedfs',
        env: { ROUNDHOUSE_S3_ENDPOINT: endpoint, ROUNDHOUSE_S3_BUCKET: STACK_BUCKET, ROUNDHOUSE_S3_ACCESS_KEY_ID: accessKey, ROUNDHOUSE_S3_SECRET_ACCESS_KEY: secretKey },
        ports,
        processes: [proc],
        stop: async () => {
          await proc.stop();
          await removeGrpcSockets(ports);
        },
      };
    },
  };
}

/**
 * weed also listens on /tmp/seaweedfs-<server>-grpc-<port>.sock, a path it
 * hard-codes (no flag moves it); remove ours once it has stopped.
 */
async function removeGrpcSockets(ports: Readonly<Record<'masterGrpc' | 'volumeGrpc' | 'filerGrpc' | 's3Grpc', number>>): Promise<void> {
  const sockets = [`master-grpc-${ports.masterGrpc}`, `volume-grpc-${ports.volumeGrpc}`, `filer-grpc-${ports.filerGrpc}`, `s3-grpc-${ports.s3Grpc}`];
  await Promise.all(sockets.map((name) => fs.rm(`/tmp/seaweedfs-${name}.sock`, { force: true })));
}

async function bucketWorks(client: S3Client): Promise<boolean> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: STACK_BUCKET })).catch((error: unknown) => {
      const name = (error as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
    });
    await client.send(new PutObjectCommand({ Bucket: STACK_BUCKET, Key: '.ready', Body: 'ok' }));
    const got = await client.send(new GetObjectCommand({ Bucket: STACK_BUCKET, Key: '.ready' }));
    return (await got.Body?.transformToString()) === 'ok';
  } catch {
    return false;
  }
}
