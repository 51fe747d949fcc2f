import { gzipSync } from 'node:zlib';
import { MemoryArtifactStore } from '../../lib/artifacts';
import { writeArtifact as writeManifested } from '../../lib/artifacts/manifest';
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
  it('reads files whose digests match, and refuses a wrong manifest digest or a changed file', async () => {
    const store = new MemoryArtifactStore();
    const fields = { runId: 'r', modelId: 'm', modelFormat: 'f', dataWindow: { startTime: 0, endTime: 1, partitions: [] }, rows: 1, positives: 1, codeVersion: 't', createdAt: 0 };
    const { manifestSha256 } = await writeManifested(store, 'mem://a/', fields, [{ name: 'model.json', data: Buffer.from('{}') }]);
    const artifact = await openVerified(store, 'mem://a', manifestSha256);
    expect((await artifact.read('model.json')).toString()).toBe('{}');
    expect(artifact.has('holdout.jsonl.gz')).toBe(false);
    await expect(artifact.read('holdout.jsonl.gz')).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('not listed') });
    await expect(openVerified(store, 'mem://a/', '0'.repeat(64))).rejects.toMatchObject({ code: 'VALIDATION', retriable: false });
    await store.writeFile('mem://a/', 'model.json', Buffer.from('{"x":1}'));
    await expect(artifact.read('model.json')).rejects.toMatchObject({ message: expect.stringContaining('the manifest says') });
    await expect(openVerified(store, 'mem://missing/', manifestSha256)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('cannot be read') });
  });
});
