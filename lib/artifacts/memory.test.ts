import { ErrorCodes } from '../errors';
import { writeArtifact } from './manifest';
import { MemoryArtifactStore } from './memory';

/** The fake keeps the real stores' rules (types.ts), so unit tests meet what S3 and file:// would refuse. */
describe('MemoryArtifactStore', () => {
  it('records writes in order; writeArtifact puts manifest.json last', async () => {
    const store = new MemoryArtifactStore({ root: 's3://bucket/prod/' });
    const fields = { runId: 'r', modelId: 'm', modelFormat: 'f', dataWindow: { startTime: 0, endTime: 1, partitions: [] }, rows: 1, positives: 1, codeVersion: 't', createdAt: 0 };
    await writeArtifact(store, 's3://bucket/prod/m/r/', fields, [
      { name: 'model.json', data: Buffer.from('{}') },
      { name: 'holdout.jsonl.gz', data: Buffer.from('h') },
    ]);
    expect(store.writes).toEqual(['s3://bucket/prod/m/r/model.json', 's3://bucket/prod/m/r/holdout.jsonl.gz', 's3://bucket/prod/m/r/manifest.json']);
  });

  it('with an s3:// root, keys stay under its prefix', async () => {
    const store = new MemoryArtifactStore({ root: 's3://bucket/prod/' });
    for (const dir of ['s3://bucket/other/m/r/', 's3://bucket/prod/../other/', 's3://elsewhere/prod/m/r/']) {
      await expect(store.writeFile(dir, 'model.json', Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCodes.VALIDATION, retriable: false });
      await expect(store.readFile(dir, 'model.json')).rejects.toMatchObject({ code: ErrorCodes.VALIDATION });
    }
    expect(store.writes).toEqual([]);
  });

  it('without a root, still refuses .. and names that are not plain', async () => {
    const store = new MemoryArtifactStore();
    await expect(store.writeFile('file:///a/../b/', 'x', Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCodes.VALIDATION });
    for (const name of ['../x', 'a/b', '.hidden', '']) {
      await expect(store.writeFile('file:///a/', name, Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCodes.VALIDATION });
    }
  });

  it('bounded reads refuse a larger file; an absent one is NOT_FOUND', async () => {
    const store = new MemoryArtifactStore();
    await store.writeFile('mem://a/', 'f', Buffer.alloc(10));
    expect((await store.readFile('mem://a/', 'f', { maxBytes: 10 })).length).toBe(10);
    await expect(store.readFile('mem://a/', 'f', { maxBytes: 9 })).rejects.toMatchObject({ code: ErrorCodes.ARTIFACT_INTEGRITY, retriable: false, message: expect.stringContaining('mem://a/f') });
    await expect(store.readFile('mem://a/', 'g')).rejects.toMatchObject({ code: ErrorCodes.NOT_FOUND, retriable: false });
  });
});
