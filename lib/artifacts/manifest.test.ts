import { ErrorCodes } from '../errors';
import { buildManifest, parseManifest, readListed, readManifest, serializeManifest, sha256Hex, verifyArtifact, writeArtifact, type ManifestFields } from './manifest';
import { MemoryArtifactStore } from './memory';

const FIELDS: ManifestFields = {
  runId: 'run-1',
  modelId: 'card-fraud',
  modelFormat: 'roundhouse.logistic/v1',
  dataWindow: { startTime: 1, endTime: 2, partitions: [{ topic: 'fraud.features', partition: 0, startOffset: 0, endOffset: 10 }] },
  rows: 10,
  positives: 1,
  codeVersion: 'roundhouse-trainer 0.1.0',
  createdAt: 3,
};
const DIR = 'file:///artifacts/card-fraud/run-1/';
const files = [
  { name: 'model.json', data: Buffer.from('{"m":1}') },
  { name: 'metrics.json', data: Buffer.from('{"rocAuc":0.9}') },
];

describe('manifest', () => {
  it('lists every file with its sha256 and size, sorted by name', () => {
    const m = buildManifest(FIELDS, files);
    expect(m.files).toEqual([
      { name: 'metrics.json', sha256: sha256Hex(files[1]!.data), bytes: files[1]!.data.length },
      { name: 'model.json', sha256: sha256Hex(files[0]!.data), bytes: 7 },
    ]);
    expect(parseManifest(serializeManifest(m))).toEqual(m);
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('refuses duplicates and a manifest listing itself', () => {
    expect(() => buildManifest(FIELDS, [files[0]!, files[0]!])).toThrow(/appears twice/);
    expect(() => buildManifest(FIELDS, [{ name: 'manifest.json', data: Buffer.from('') }])).toThrow(/cannot list itself/);
  });

  it('parseManifest names every problem', () => {
    expect(() => parseManifest('{"version":1,"runId":"","files":[{"name":"x","sha256":"nothex","bytes":-1}]}')).toThrow(
      expect.objectContaining({ code: ErrorCodes.VALIDATION, message: expect.stringMatching(/runId[\s\S]*files\.0\.sha256[\s\S]*files\.0\.bytes/) }),
    );
    expect(() => parseManifest('nope')).toThrow(/not JSON/);
  });

  it('writes the manifest last and verifies what it wrote', async () => {
    const store = new MemoryArtifactStore();
    const written = await writeArtifact(store, DIR, FIELDS, files);
    expect(store.writes.at(-1)).toBe(`${DIR}manifest.json`);
    const verified = await verifyArtifact(store, DIR, written.manifestSha256);
    expect(verified.manifestSha256).toBe(sha256Hex(await store.readFile(DIR, 'manifest.json')));
    expect(verified.manifest).toEqual(written.manifest);
  });

  it.each([
    ['a changed file', async (s: MemoryArtifactStore) => s.tamper(DIR, 'model.json', Buffer.from('{"m":2}')), /model\.json: sha256 [0-9a-f]{64}, the manifest says/],
    ['a truncated file', async (s: MemoryArtifactStore) => s.tamper(DIR, 'metrics.json', Buffer.from('{')), /metrics\.json: 1 bytes, the manifest says 14/],
    ['a grown file (refused unread)', async (s: MemoryArtifactStore) => s.tamper(DIR, 'model.json', Buffer.alloc(1_000_000)), /model\.json: 1000000 bytes, more than the 7 expected; not read/],
    [
      'an edited manifest',
      async (s: MemoryArtifactStore) => {
        const m = JSON.parse((await s.readFile(DIR, 'manifest.json')).toString()) as { rows: number };
        m.rows = 1_000_000;
        s.tamper(DIR, 'manifest.json', Buffer.from(JSON.stringify(m)));
      },
      /manifest\.json: sha256 [0-9a-f]{64}, expected/,
    ],
  ])('detects %s (ARTIFACT_INTEGRITY naming the object)', async (_what, tamper, message) => {
    const store = new MemoryArtifactStore();
    const written = await writeArtifact(store, DIR, FIELDS, files);
    await tamper(store);
    await expect(verifyArtifact(store, DIR, written.manifestSha256)).rejects.toMatchObject({ code: ErrorCodes.ARTIFACT_INTEGRITY, retriable: false, message: expect.stringMatching(message) });
  });

  it('readListed reads no more than the manifest says and checks size and digest', async () => {
    const store = new MemoryArtifactStore();
    const { manifest } = await writeArtifact(store, DIR, FIELDS, files);
    const entry = manifest.files.find((f) => f.name === 'model.json')!;
    expect((await readListed(store, DIR, entry)).toString()).toBe('{"m":1}');
    store.tamper(DIR, 'model.json', Buffer.from('{"m":9}'));
    await expect(readListed(store, DIR, entry)).rejects.toMatchObject({ code: ErrorCodes.ARTIFACT_INTEGRITY, message: `${DIR}model.json: sha256 ${sha256Hex('{"m":9}')}, the manifest says ${entry.sha256}` });
  });

  it('detects a missing file; a missing manifest means not published (NOT_FOUND)', async () => {
    const store = new MemoryArtifactStore();
    await store.writeFile(DIR, 'manifest.json', serializeManifest(buildManifest(FIELDS, files)));
    await store.writeFile(DIR, 'model.json', files[0]!.data);
    await expect(verifyArtifact(store, DIR)).rejects.toMatchObject({ code: ErrorCodes.ARTIFACT_INTEGRITY, message: expect.stringMatching(/metrics\.json: missing/) });
    await expect(verifyArtifact(new MemoryArtifactStore(), DIR)).rejects.toMatchObject({
      code: ErrorCodes.NOT_FOUND,
      retriable: false,
      message: expect.stringMatching(/manifest\.json is missing: the artifact is not published/),
    });
  });

  it('a store that fails mid-way leaves no manifest: the directory stays unpublished', async () => {
    const store = new MemoryArtifactStore();
    const failing = { ...store, writeFile: async (d: string, n: string, b: Buffer) => (n === 'model.json' ? Promise.reject(new Error('disk full')) : store.writeFile(d, n, b)), readFile: store.readFile.bind(store), exists: store.exists.bind(store) };
    await expect(writeArtifact(failing, DIR, FIELDS, files)).rejects.toThrow('disk full');
    expect(await store.exists(DIR, 'manifest.json')).toBe(false);
    await expect(readManifest(store, DIR)).rejects.toMatchObject({ code: ErrorCodes.NOT_FOUND });
  });
});
