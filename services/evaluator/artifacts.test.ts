import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { MemoryArtifactStore, type ArtifactStore } from '../../lib/artifacts';
import { FileArtifactStore } from '../../lib/artifacts/file-store';
import { sha256Hex, writeArtifact as writeManifested } from '../../lib/artifacts/manifest';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import type { TrainingCompleted } from '../../lib/events';
import { serializeModel } from '../../lib/model';
import { loadCandidate, openVerified } from './artifacts';
import { DEFAULT_ARTIFACT_LIMITS } from './limits';
import { bucketBombModel, completed, holdoutMetrics, trainModels, writeCrafted } from './testing/fixtures';

const manifestFields = { runId: 'r', modelId: 'm', modelFormat: 'roundhouse.logistic/v1', dataWindow: { startTime: 0, endTime: 1, partitions: [] }, rows: 1, positives: 1, codeVersion: 't', createdAt: 0 };

describe('openVerified', () => {
  const fields = { runId: 'r', modelId: 'm', modelFormat: 'f', dataWindow: { startTime: 0, endTime: 1, partitions: [] }, rows: 1, positives: 1, codeVersion: 't', createdAt: 0 };

  it('reads files whose digests match, and refuses a wrong manifest digest or a changed file', async () => {
    const store = new MemoryArtifactStore();
    const { manifestSha256 } = await writeManifested(store, 'mem://a/', fields, [{ name: 'model.json', data: Buffer.from('{}') }]);
    const artifact = await openVerified(store, 'mem://a', manifestSha256);
    expect((await artifact.read('model.json')).toString()).toBe('{}');
    expect(artifact.has('holdout.jsonl.gz')).toBe(false);
    await expect(artifact.read('holdout.jsonl.gz')).rejects.toMatchObject({ code: 'ARTIFACT_INTEGRITY', message: 'mem://a/holdout.jsonl.gz: not listed in the manifest' });
    await expect(openVerified(store, 'mem://a/', '0'.repeat(64))).rejects.toMatchObject({ code: 'ARTIFACT_INTEGRITY', retriable: false, message: expect.stringContaining('mem://a/manifest.json: sha256') });
    store.tamper('mem://a/', 'model.json', Buffer.from('{"x":1}'));
    await expect(artifact.read('model.json')).rejects.toMatchObject({ code: 'ARTIFACT_INTEGRITY', message: expect.stringMatching(/^mem:\/\/a\/model\.json: 7 bytes, more than the 2 expected/) });
    store.tamper('mem://a/', 'model.json', Buffer.from('[]'));
    await expect(artifact.read('model.json')).rejects.toMatchObject({ code: 'ARTIFACT_INTEGRITY', message: expect.stringMatching(/^mem:\/\/a\/model\.json: sha256 [0-9a-f]{64}, the manifest says/) });
  });

  it('no manifest: not published (NOT_FOUND); a listed file gone: ARTIFACT_INTEGRITY naming it', async () => {
    const store = new MemoryArtifactStore();
    await expect(openVerified(store, 'mem://missing/', '0'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND', retriable: false, message: expect.stringContaining('not published') });
    const { manifestSha256 } = await writeManifested(store, 'mem://b/', fields, [{ name: 'model.json', data: Buffer.from('{}') }]);
    const other = new MemoryArtifactStore();
    await other.writeFile('mem://b/', 'manifest.json', await store.readFile('mem://b/', 'manifest.json'));
    const artifact = await openVerified(other, 'mem://b/', manifestSha256);
    await expect(artifact.read('model.json')).rejects.toMatchObject({ code: 'ARTIFACT_INTEGRITY', message: 'mem://b/model.json: listed in the manifest but missing' });
  });

  it('a manifest that is not one is an integrity failure; an unreachable store stays retriable', async () => {
    const store = new MemoryArtifactStore();
    await store.writeFile('mem://c/', 'manifest.json', Buffer.from('{"version":2}'));
    await expect(openVerified(store, 'mem://c/', sha256Hex('{"version":2}'))).rejects.toMatchObject({ code: 'ARTIFACT_INTEGRITY', message: expect.stringContaining('mem://c/manifest.json: not a manifest') });
    const down: ArtifactStore = {
      writeFile: async () => undefined,
      exists: async () => false,
      readFile: async () => Promise.reject(new RoundhouseError(ErrorCodes.STORAGE_UNAVAILABLE, 'SlowDown')),
    };
    await expect(openVerified(down, 'mem://c/', '0'.repeat(64))).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', retriable: true });
  });
});

describe('loadCandidate: crafted artifacts fail the integrity gate, bounded before reading (issue 14)', () => {
  const dir = 'mem://artifacts/card-fraud/run-x/';
  const { good } = trainModels();
  const limits = DEFAULT_ARTIFACT_LIMITS;

  /** A store that records which files were read. */
  function recorded(): { store: MemoryArtifactStore; reads: string[] } {
    const store = new MemoryArtifactStore();
    const reads: string[] = [];
    const readFile = store.readFile.bind(store);
    store.readFile = (dirUri, name, options) => {
      reads.push(`${dirUri}${name}`);
      return readFile(dirUri, name, options);
    };
    return { store, reads };
  }

  async function craft(files: { name: string; data: Buffer }[], holdoutUri: string | null = `${dir}holdout.jsonl.gz`): Promise<{ store: MemoryArtifactStore; reads: string[]; result: TrainingCompleted }> {
    const { store, reads } = recorded();
    const { manifestSha256 } = await writeManifested(store, dir, { ...manifestFields, runId: 'run-x' }, files);
    const result = { ...completed({ runId: 'run-x', requestId: 'req-x', artifactUri: dir, sha256: manifestSha256, metrics: holdoutMetrics(good, trainModels().holdout) }), holdoutUri };
    reads.length = 0;
    return { store, reads, result };
  }
  const modelFile = (text: string = serializeModel(good)): { name: string; data: Buffer } => ({ name: 'model.json', data: Buffer.from(text) });
  const holdoutFile = (data: Buffer): { name: string; data: Buffer } => ({ name: 'holdout.jsonl.gz', data });
  const rows = (n: number): Buffer => gzipSync(Buffer.from(Array.from({ length: n }, (_, i) => JSON.stringify({ label: i % 2, record: { x: i } })).join('\n')));

  it('reads a genuine artifact: integrity passes, model and holdout loaded', async () => {
    const { store, result } = await craft([modelFile(), holdoutFile(rows(20))]);
    const loaded = await loadCandidate(store, result, 'is_fraud', limits);
    expect(loaded.integrity.passed).toBe(true);
    expect(loaded.holdout!.rows).toHaveLength(20);
  });

  it('a model.json of a few hundred bytes declaring 3e7 hashing buckets under a valid manifest fails integrity (the process ran out of heap)', async () => {
    const { store, result } = await craft([{ name: 'model.json', data: bucketBombModel() }]);
    const loaded = await loadCandidate(store, result, 'is_fraud', limits);
    expect(loaded.integrity).toMatchObject({ passed: false, detail: expect.stringMatching(/buckets/) });
    expect(loaded.model).toBeNull();
  });

  it('a model producing more columns than maxModelColumns fails integrity naming EVALUATOR_MAX_MODEL_COLUMNS', async () => {
    const { store, result } = await craft([modelFile()]);
    const loaded = await loadCandidate(store, result, 'is_fraud', { ...limits, maxModelColumns: good.pipeline.columns.length - 1 });
    expect(loaded.integrity).toMatchObject({ passed: false, detail: expect.stringMatching(/more than the \d+ allowed \(raise EVALUATOR_MAX_MODEL_COLUMNS/) });
    expect(loaded.problems[0]).toMatchObject({ stage: 'candidate-artifact', code: 'ARTIFACT_INTEGRITY' });
  });

  it('a model.json the manifest lists above maxModelBytes is refused without being read', async () => {
    const { store, reads, result } = await craft([modelFile()]);
    const loaded = await loadCandidate(store, result, 'is_fraud', { ...limits, maxModelBytes: 100 });
    expect(loaded.integrity).toMatchObject({ passed: false, detail: expect.stringMatching(/model\.json: the manifest lists \d+ bytes, more than the 100 allowed; not read \(raise EVALUATOR_MAX_MODEL_MB/) });
    expect(reads).toEqual([`${dir}manifest.json`]);
  });

  it('a holdout the manifest lists above maxFileBytes is refused without being read', async () => {
    const { store, reads, result } = await craft([modelFile(), holdoutFile(rows(2000))]);
    const loaded = await loadCandidate(store, result, 'is_fraud', { ...limits, maxFileBytes: 1000 });
    expect(loaded.integrity).toMatchObject({ passed: false, detail: expect.stringMatching(/holdout\.jsonl\.gz: the manifest lists \d+ bytes, more than the 1000 allowed; not read \(raise EVALUATOR_MAX_FILE_MB/) });
    expect(reads).not.toContain(`${dir}holdout.jsonl.gz`);
  });

  it.each([
    ['file:///dev/zero', 'file:///dev/zero'],
    ['another run', 'mem://artifacts/card-fraud/run-other/holdout.jsonl.gz'],
    ['a climb out of the directory', `${dir}../run-other/holdout.jsonl.gz`],
    ['a subdirectory', `${dir}sub/holdout.jsonl.gz`],
    ['the directory itself', dir],
  ])('a holdoutUri outside the verified directory (%s) fails integrity and is never read', async (_what, holdoutUri) => {
    const { store, reads, result } = await craft([modelFile(), holdoutFile(rows(20))], holdoutUri);
    const loaded = await loadCandidate(store, result, 'is_fraud', limits);
    expect(loaded.integrity).toMatchObject({ passed: false, detail: expect.stringMatching(/the holdout is outside the verified artifact directory/) });
    expect(reads.filter((r) => !r.startsWith(dir) || r.slice(dir.length).includes('/'))).toEqual([]);
    expect(reads).not.toContain(`${dir}holdout.jsonl.gz`);
  });

  it('a holdout expanding past maxHoldoutBytes, or with too many rows, fails integrity with the bound and its setting', async () => {
    const { store, result } = await craft([modelFile(), holdoutFile(rows(50))]);
    expect((await loadCandidate(store, result, 'is_fraud', { ...limits, maxHoldoutRows: 49 })).integrity).toMatchObject({
      passed: false,
      detail: `${dir}holdout.jsonl.gz: more than 49 rows; not read further (raise EVALUATOR_MAX_HOLDOUT_ROWS if it is genuine)`,
    });
    expect((await loadCandidate(store, result, 'is_fraud', { ...limits, maxHoldoutBytes: 100 })).integrity).toMatchObject({ passed: false, detail: expect.stringMatching(/expands past 100 bytes/) });
  });

  it('a holdout that is not what its manifest says fails integrity (was: REPORTED on the trainer\'s own metrics)', async () => {
    const { store, result } = await craft([modelFile(), holdoutFile(rows(20))]);
    store.tamper(dir, 'holdout.jsonl.gz', rows(21).subarray(0, rows(20).length));
    expect((await loadCandidate(store, result, 'is_fraud', limits)).integrity).toMatchObject({ passed: false, detail: expect.stringMatching(/holdout\.jsonl\.gz: sha256/) });
  });

  it('a holdout line that does not parse still gives REPORTED mode (a problem, not an integrity failure)', async () => {
    const { store, result } = await craft([modelFile(), holdoutFile(gzipSync(Buffer.from('nope\n')))]);
    const loaded = await loadCandidate(store, result, 'is_fraud', limits);
    expect(loaded.integrity.passed).toBe(true);
    expect(loaded.holdout).toBeNull();
    expect(loaded.problems).toEqual([expect.objectContaining({ stage: 'holdout', code: 'VALIDATION' })]);
  });
});

describe('loadCandidate on the file store: a holdout the store refuses fails integrity', () => {
  it('a holdout.jsonl.gz that is a link to /dev/zero (its manifest entry intact) is refused, not read', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'roundhouse-evaluator-links-'));
    const store = new FileArtifactStore(`${pathToFileURL(root).href}/`);
    const dir = `${pathToFileURL(root).href}/card-fraud/run-link/`;
    const { good, holdout } = trainModels();
    const sha = await writeCrafted(store, dir, 'run-link', [
      { name: 'model.json', data: Buffer.from(serializeModel(good)) },
      { name: 'holdout.jsonl.gz', data: gzipSync(Buffer.from('{"label":1,"record":{}}\n')) },
    ]);
    const file = path.join(root, 'card-fraud', 'run-link', 'holdout.jsonl.gz');
    rmSync(file);
    symlinkSync('/dev/zero', file);
    try {
      const loaded = await loadCandidate(store, completed({ runId: 'run-link', requestId: 'r', artifactUri: dir, sha256: sha, metrics: holdoutMetrics(good, holdout) }), 'is_fraud');
      expect(loaded.integrity).toMatchObject({ passed: false, detail: expect.stringMatching(/holdout\.jsonl\.gz: refused by the artifact store: .*outside this store's root/) });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
