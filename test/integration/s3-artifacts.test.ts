/**
 * The S3 artifact store against a real S3 server (SeaweedFS from the stack):
 * publication order, multipart, verification on read by the evaluator's
 * reader, "no manifest = not published", and how the server's refusals map
 * to our error codes. Each test writes under a random prefix of the shared bucket.
 */
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ARTIFACT_FILES, type ArtifactStore } from '../../lib/artifacts';
import { decodePathSegment, runArtifactDir } from '../../lib/artifacts/segment';
import { sha256Hex, verifyArtifact, writeArtifact } from '../../lib/artifacts/manifest';
import { S3ArtifactStore } from '../../lib/artifacts/s3-store';
import { artifactStoreFor } from '../../lib/artifacts/store-for';
import { ErrorCodes } from '../../lib/errors';
import { loadCandidate, openVerified } from '../../services/evaluator/artifacts';
import { DEFAULT_ARTIFACT_LIMITS } from '../../services/evaluator/limits';
import { LABEL_FIELD, completed, gzipBomb, holdoutMetrics, trainModels, writeArtifact as writeEvaluatorArtifact, writeCrafted } from '../../services/evaluator/testing/fixtures';
import { serializeModel } from '../../lib/model';
import { emptyPrefix, rawS3, s3Settings, s3Store, s3TestRoot, stackS3 } from '../helpers/s3';

const FIELDS = {
  runId: 'run-1',
  modelId: 'card-fraud',
  modelFormat: 'roundhouse.logistic/v1',
  dataWindow: { startTime: 1, endTime: 2, partitions: [] },
  rows: 10,
  positives: 1,
  codeVersion: 's3-test',
  createdAt: 3,
};

const keyOf = (uri: string): string => uri.slice(`s3://${stackS3().bucket}/`.length);

describe('S3ArtifactStore on SeaweedFS', () => {
  let root: string;
  let raw: S3Client;
  const stores: S3ArtifactStore[] = [];
  const store = (r = root, extra: Record<string, string> = {}): S3ArtifactStore => {
    const s = s3Store(r, extra);
    stores.push(s);
    return s;
  };

  beforeEach(() => {
    root = s3TestRoot();
    raw = rawS3();
  });
  afterEach(async () => {
    await emptyPrefix(root);
    raw.destroy();
    for (const s of stores.splice(0)) s.destroy();
  });

  it('round-trips an artifact: data objects first, manifest.json last, all under the prefix, verified on read', async () => {
    const dir = `${root}card-fraud/run-1/`;
    const real = store();
    // Before the manifest is written, every data object it lists must already be on the server.
    const missingAtManifest: string[] = [];
    const watching: ArtifactStore = {
      readFile: (d, n, o) => real.readFile(d, n, o),
      exists: (d, n) => real.exists(d, n),
      writeFile: async (d, n, data) => {
        if (n === ARTIFACT_FILES.manifest) {
          for (const f of ['model.json', 'metrics.json', 'holdout.jsonl.gz']) {
            if (!(await real.exists(d, f))) missingAtManifest.push(f);
          }
        }
        await real.writeFile(d, n, data);
      },
    };
    const files = [
      { name: 'model.json', data: Buffer.from('{"m":1}') },
      { name: 'metrics.json', data: Buffer.from('{"rocAuc":0.9}') },
      { name: 'holdout.jsonl.gz', data: randomBytes(64 * 1024) },
    ];
    const written = await writeArtifact(watching, dir, FIELDS, files);
    expect(missingAtManifest).toEqual([]);

    const listed = await raw.send(new ListObjectsV2Command({ Bucket: stackS3().bucket, Prefix: keyOf(root) }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(
      ['holdout.jsonl.gz', 'manifest.json', 'metrics.json', 'model.json'].map((n) => `${keyOf(dir)}${n}`),
    );
    // A second store, as the evaluator would build it from ARTIFACT_ROOT, reads it all back verified.
    const reader = artifactStoreFor(root, { s3: s3Settings(), s3Credentials: { accessKeyId: stackS3().accessKeyId, secretAccessKey: stackS3().secretAccessKey } }) as S3ArtifactStore;
    stores.push(reader);
    const verified = await verifyArtifact(reader, dir, written.manifestSha256);
    expect(verified.manifest.files.map((f) => f.name)).toEqual(['holdout.jsonl.gz', 'metrics.json', 'model.json']);
    const artifact = await openVerified(reader, dir, written.manifestSha256);
    expect((await artifact.read('holdout.jsonl.gz')).equals(files[2]!.data)).toBe(true);
    expect(await reader.exists(dir, 'nothing.json')).toBe(false);
  });

  it('uploads an object above the part size in parts, and reads it back whole', async () => {
    const dir = `${root}card-fraud/run-big/`;
    const big = randomBytes(12 * 1024 * 1024 + 123);
    const s = store(root, { ROUNDHOUSE_S3_PART_SIZE_MB: '5' });
    const written = await writeArtifact(s, dir, FIELDS, [
      { name: 'model.json', data: Buffer.from('{}') },
      { name: 'holdout.jsonl.gz', data: big },
    ]);
    // S3 reports a multipart object's part count; a single PUT has none.
    const head = await raw.send(new HeadObjectCommand({ Bucket: stackS3().bucket, Key: `${keyOf(dir)}holdout.jsonl.gz`, PartNumber: 1 }));
    expect(head.PartsCount).toBe(3);
    const small = await raw.send(new HeadObjectCommand({ Bucket: stackS3().bucket, Key: `${keyOf(dir)}model.json`, PartNumber: 1 }));
    expect(small.PartsCount ?? 1).toBe(1);
    const artifact = await openVerified(s, dir, written.manifestSha256);
    const back = await artifact.read('holdout.jsonl.gz');
    expect(back.length).toBe(big.length);
    expect(sha256Hex(back)).toBe(sha256Hex(big));
  });

  it.each([
    ['same size, other bytes', (b: Buffer) => Buffer.from(b.toString().replace('1', '2')), /model\.json: sha256 [0-9a-f]{64}, the manifest says/],
    ['grown', (b: Buffer) => Buffer.concat([b, Buffer.alloc(1024 * 1024)]), /model\.json: \d+ bytes, more than the \d+ expected; not read/],
    ['truncated', (b: Buffer) => b.subarray(0, 10), /model\.json: 10 bytes, the manifest says \d+/],
  ])('the evaluator refuses a corrupted object (%s) with ARTIFACT_INTEGRITY naming it', async (_what, corrupt, message) => {
    const dir = `${root}card-fraud/run-bad/`;
    const s = store();
    const sha = await writeEvaluatorArtifact(s, dir, { runId: 'run-bad', model: trainModels().good });
    const key = `${keyOf(dir)}model.json`;
    const original = Buffer.from(await (await raw.send(new GetObjectCommand({ Bucket: stackS3().bucket, Key: key }))).Body!.transformToByteArray());
    // Behind the store's back, as a broken disk or a person would.
    await raw.send(new PutObjectCommand({ Bucket: stackS3().bucket, Key: key, Body: corrupt(original) }));

    const artifact = await openVerified(s, dir, sha);
    const error = await artifact.read('model.json').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCodes.ARTIFACT_INTEGRITY, retriable: false, message: expect.stringMatching(message) });
    expect((error as Error).message.startsWith(`${dir}model.json: `)).toBe(true);
    // The evaluation: a failed integrity gate that says which object, no model.
    const candidate = await loadCandidate(s, completed({ runId: 'run-bad', requestId: 'rr', artifactUri: dir, sha256: sha, metrics: holdoutMetrics(trainModels().good, trainModels().holdout) }), LABEL_FIELD);
    expect(candidate.integrity).toMatchObject({ gate: 'artifact-integrity', passed: false, detail: expect.stringContaining(`${dir}model.json`) });
    expect(candidate.model).toBeNull();
    expect(candidate.problems).toEqual([expect.objectContaining({ stage: 'candidate-artifact', code: ErrorCodes.ARTIFACT_INTEGRITY })]);
  });

  it('a directory without manifest.json is not published, whatever else is there', async () => {
    const dir = `${root}card-fraud/run-half/`;
    const s = store();
    await s.writeFile(dir, 'model.json', Buffer.from('{}'));
    await s.writeFile(dir, 'holdout.jsonl.gz', Buffer.from('rows'));
    for (const attempt of [() => openVerified(s, dir, '0'.repeat(64)), () => verifyArtifact(s, dir)]) {
      await expect(attempt()).rejects.toMatchObject({ code: ErrorCodes.NOT_FOUND, retriable: false, message: `${dir}manifest.json is missing: the artifact is not published (the manifest is written last)` });
    }
  });

  it('family members whose segments the old paths merged or let climb get one prefix each, under the root (issue 14)', async () => {
    const s = store();
    const members = ['card-fraud.shop', 'card-fraud.shop#1', 'card-fraud.shop#2', 'card-fraud.shop?x', 'card-fraud.shop/../../x', 'card-fraud.ünï', `card-fraud.${'m'.repeat(300)}`];
    const dirs = members.map((modelId) => runArtifactDir(root, modelId, 'run-1', '0a1b2c3d'));
    for (const [i, dir] of dirs.entries()) await writeArtifact(s, dir, { ...FIELDS, modelId: members[i]! }, [{ name: 'model.json', data: Buffer.from(`{"member":${i}}`) }]);
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: stackS3().bucket, Prefix: keyOf(root) }));
    const prefixes = new Set((listed.Contents ?? []).map((o) => o.Key!.slice(keyOf(root).length).split('/')[0]!));
    expect(prefixes.size).toBe(members.length);
    // Reversible but for the long one, which is a prefix and a hash.
    const decoded = [...prefixes].map(decodePathSegment);
    expect(decoded.filter((d) => d !== null).sort()).toEqual(members.slice(0, 6).sort());
    expect(decoded.filter((d) => d === null)).toHaveLength(1);
    for (const [i, dir] of dirs.entries()) expect((await s.readFile(dir, 'model.json')).toString()).toBe(`{"member":${i}}`);
  });

  it('the evaluator refuses a holdout its manifest lists above the bound without fetching it, and a gzip bomb stored on S3', async () => {
    const real = store();
    const fetched: string[] = [];
    const s: ArtifactStore = { writeFile: (d, n, b) => real.writeFile(d, n, b), exists: (d, n) => real.exists(d, n), readFile: (d, n, o) => (fetched.push(n), real.readFile(d, n, o)) };
    const { good, holdout } = trainModels();
    const model = { name: 'model.json', data: Buffer.from(serializeModel(good)) };
    const result = (runId: string, dir: string, sha: string) => completed({ runId, requestId: 'rr', artifactUri: dir, sha256: sha, metrics: holdoutMetrics(good, holdout) });

    const bombDir = `${root}card-fraud/run-bomb/`;
    const bombSha = await writeCrafted(s, bombDir, 'run-bomb', [model, { name: 'holdout.jsonl.gz', data: gzipBomb(1024) }]);
    fetched.length = 0;
    const capped = await loadCandidate(s, result('run-bomb', bombDir, bombSha), LABEL_FIELD, { ...DEFAULT_ARTIFACT_LIMITS, maxFileBytes: 1024 * 1024 });
    expect(capped.integrity).toMatchObject({ passed: false, detail: expect.stringMatching(/holdout\.jsonl\.gz: the manifest lists \d+ bytes, more than the 1048576 allowed; not read/) });
    expect(fetched).toEqual(['manifest.json', 'model.json']);

    const bombed = await loadCandidate(s, result('run-bomb', bombDir, bombSha), LABEL_FIELD);
    expect(bombed.integrity).toMatchObject({ passed: false, detail: `${bombDir}holdout.jsonl.gz: expands past 268435456 bytes; not read further (raise EVALUATOR_MAX_HOLDOUT_MB if it is genuine)` });
  });

  it('keys outside the root are refused before any request; the server refusals map to codes', async () => {
    const s = store();
    await expect(s.readFile(`s3://${stackS3().bucket}/someone-else/`, 'model.json')).rejects.toMatchObject({ code: ErrorCodes.VALIDATION });
    await expect(s.writeFile(`${root}a/../../escape/`, 'model.json', Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCodes.VALIDATION });

    // A bucket that does not exist: permanent, says what to do.
    const noBucket = store('s3://roundhouse-no-such-bucket/x/');
    await expect(noBucket.writeFile('s3://roundhouse-no-such-bucket/x/m/r/', 'model.json', Buffer.from('x'))).rejects.toMatchObject({
      code: ErrorCodes.STORAGE_UNAVAILABLE,
      retriable: false,
      message: expect.stringMatching(/NoSuchBucket|AccessDenied/),
    });

    // Wrong credentials: permanent (retrying will not fix them).
    const wrong = new S3ArtifactStore(root, { settings: s3Settings(), credentials: { accessKeyId: 'NOPE', secretAccessKey: 'nope' } });
    stores.push(wrong);
    const denied = await wrong.readFile(`${root}m/r/`, 'model.json').catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: ErrorCodes.STORAGE_UNAVAILABLE, retriable: false });

    // Nobody listening: retriable, after the SDK's own attempts.
    const down = new S3ArtifactStore(root, { settings: s3Settings({ ROUNDHOUSE_S3_ENDPOINT: 'http://127.0.0.1:9', ROUNDHOUSE_S3_MAX_ATTEMPTS: '2' }), credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    stores.push(down);
    await expect(down.readFile(`${root}m/r/`, 'model.json')).rejects.toMatchObject({ code: ErrorCodes.STORAGE_UNAVAILABLE, retriable: true, message: expect.stringContaining('ECONNREFUSED') });
  });
});
