import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, errorCode, isRetriable } from '../errors';
import { FileArtifactStore, fileUriToPath } from './file-store';

describe('FileArtifactStore', () => {
  let root: string;
  let dirUri: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'roundhouse-artifacts-'));
    dirUri = `${pathToFileURL(root).href}/card-fraud/run-1/`;
  });

  it('creates directories, writes, reads back and overwrites', async () => {
    const store = new FileArtifactStore();
    await store.writeFile(dirUri, 'model.json', Buffer.from('one'));
    expect(readFileSync(path.join(root, 'card-fraud', 'run-1', 'model.json'), 'utf8')).toBe('one');
    await store.writeFile(dirUri, 'model.json', Buffer.from('two'));
    expect((await store.readFile(dirUri, 'model.json')).toString()).toBe('two');
    expect(await store.exists(dirUri, 'model.json')).toBe(true);
    expect(await store.exists(dirUri, 'metrics.json')).toBe(false);
  });

  it('leaves no temp files behind, and a failed write leaves the old file whole', async () => {
    const store = new FileArtifactStore();
    await store.writeFile(dirUri, 'model.json', Buffer.from('old'));
    // Not a Buffer: the write fails after the temp file was opened.
    await expect(store.writeFile(dirUri, 'model.json', 42 as unknown as Buffer)).rejects.toMatchObject({ code: ErrorCodes.STORAGE_UNAVAILABLE });
    expect((await store.readFile(dirUri, 'model.json')).toString()).toBe('old');
    expect(readdirSync(fileUriToPath(dirUri))).toEqual(['model.json']);
  });

  it('a reader racing many writers only ever sees whole files', async () => {
    const store = new FileArtifactStore();
    const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(256 * 1024, 65 + i));
    await store.writeFile(dirUri, 'holdout.jsonl.gz', versions[0]!);
    let done = false;
    const torn: number[] = [];
    const reader = (async () => {
      while (!done) {
        const data = await store.readFile(dirUri, 'holdout.jsonl.gz');
        if (!versions.some((v) => v.equals(data))) torn.push(data.length);
      }
    })();
    await Promise.all(versions.map((v) => store.writeFile(dirUri, 'holdout.jsonl.gz', v)));
    done = true;
    await reader;
    expect(torn).toEqual([]);
    expect(readdirSync(fileUriToPath(dirUri))).toEqual(['holdout.jsonl.gz']);
  });

  it('reports a missing file as NOT_FOUND, not retriable', async () => {
    const error = await new FileArtifactStore().readFile(dirUri, 'model.json').catch((e: unknown) => e);
    expect(errorCode(error)).toBe(ErrorCodes.NOT_FOUND);
    expect(isRetriable(error)).toBe(false);
  });

  it('refuses names that are not plain file names', async () => {
    const store = new FileArtifactStore();
    for (const name of ['../escape', 'a/b', '', '.hidden', '..']) {
      await expect(store.writeFile(dirUri, name, Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCodes.VALIDATION });
    }
  });

  it('a bounded read refuses a larger file without reading it, and a directory climbing with ..', async () => {
    const store = new FileArtifactStore();
    await store.writeFile(dirUri, 'model.json', Buffer.from('0123456789'));
    expect((await store.readFile(dirUri, 'model.json', { maxBytes: 10 })).toString()).toBe('0123456789');
    await expect(store.readFile(dirUri, 'model.json', { maxBytes: 9 })).rejects.toMatchObject({
      code: ErrorCodes.ARTIFACT_INTEGRITY,
      retriable: false,
      message: expect.stringMatching(/model\.json: 10 bytes, more than the 9 expected/),
    });
    await expect(store.readFile(`${dirUri}../run-2/`, 'model.json')).rejects.toMatchObject({ code: ErrorCodes.VALIDATION });
  });

  it('a file where a directory should be is a permanent storage error', async () => {
    mkdirSync(path.join(root, 'card-fraud'), { recursive: true });
    writeFileSync(path.join(root, 'card-fraud', 'run-1'), 'not a directory');
    const error = await new FileArtifactStore().writeFile(dirUri, 'model.json', Buffer.from('x')).catch((e: unknown) => e);
    expect(errorCode(error)).toBe(ErrorCodes.STORAGE_UNAVAILABLE);
    expect(isRetriable(error)).toBe(false);
  });
});

describe('artifact URIs', () => {
  it.each([
    ['file:///var/lib/roundhouse/a%20b/', '/base', '/var/lib/roundhouse/a b'],
    ['file://./artifacts/m/r/', '/base', '/base/artifacts/m/r'],
    ['file://artifacts/m/r/', '/base', '/base/artifacts/m/r'],
  ])('%s under %s is %s', (uri, base, expected) => {
    expect(path.resolve(fileUriToPath(uri, base))).toBe(expected);
  });
});
