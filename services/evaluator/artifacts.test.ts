import { gzipSync } from 'node:zlib';
import { MemoryArtifactStore, type ArtifactStore } from '../../lib/artifacts';
import { sha256Hex, writeArtifact as writeManifested } from '../../lib/artifacts/manifest';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import { openVerified, parseHoldout } from './artifacts';

const gz = (lines: readonly unknown[]): Buffer => gzipSync(Buffer.from(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')));

describe('parseHoldout', () => {
  it.each<[string, unknown, { x: number }, number]>([
    ['the trainer format', { eventId: 'e', eventTime: 1, label: 1, record: { x: 2 } }, { x: 2 }, 1],
    ['features instead of record', { features: { x: 3 }, label: 0 }, { x: 3 }, 0],
    ['a flat row with the catalog label field', { x: 4, is_fraud: true }, { x: 4 }, 1],
    ['a flat row with "label"', { x: 5, label: false }, { x: 5 }, 0],
  ])('reads %s', async (_name, line, row, label) => {
    const holdout = await parseHoldout(gz([line, '']), 'is_fraud');
    expect(holdout.rows[0]).toMatchObject(row);
    expect(Array.from(holdout.labels)).toEqual([label]);
  });

  it.each<[string, readonly unknown[], RegExp]>([
    ['a line that is not JSON', ['{"label":1}', 'nope'], /line 2: not JSON/],
    ['a label that is not 0/1', [{ record: {}, label: 2 }], /line 1: label is 2/],
    ['a missing label', [{ x: 1 }], /line 1: label is undefined/],
    ['an array line', [[1, 2]], /not a JSON object/],
  ])('refuses %s (VALIDATION)', async (_name, lines, message) => {
    await expect(parseHoldout(gz(lines), 'is_fraud')).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(message) });
  });
});

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
