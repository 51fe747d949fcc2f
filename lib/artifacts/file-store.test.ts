import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, errorCode, isRetriable } from '../errors';
import { FileArtifactStore, fileUriToPath } from './file-store';

describe('FileArtifactStore', () => {
  let root: string;
  let rootUri: string;
  let dirUri: string;
  let store: FileArtifactStore;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'roundhouse-artifacts-'));
    rootUri = `${pathToFileURL(root).href}/`;
    dirUri = `${rootUri}card-fraud/run-1/`;
    store = new FileArtifactStore(rootUri);
  });

  it('creates directories, writes, reads back and overwrites', async () => {
    await store.writeFile(dirUri, 'model.json', Buffer.from('one'));
    expect(readFileSync(path.join(root, 'card-fraud', 'run-1', 'model.json'), 'utf8')).toBe('one');
    await store.writeFile(dirUri, 'model.json', Buffer.from('two'));
    expect((await store.readFile(dirUri, 'model.json')).toString()).toBe('two');
    expect(await store.exists(dirUri, 'model.json')).toBe(true);
    expect(await store.exists(dirUri, 'metrics.json')).toBe(false);
  });

  it('leaves no temp files behind, and a failed write leaves the old file whole', async () => {
    await store.writeFile(dirUri, 'model.json', Buffer.from('old'));
    // Not a Buffer: the write fails after the temp file was opened.
    await expect(store.writeFile(dirUri, 'model.json', 42 as unknown as Buffer)).rejects.toMatchObject({ code: ErrorCodes.STORAGE_UNAVAILABLE });
    expect((await store.readFile(dirUri, 'model.json')).toString()).toBe('old');
    expect(readdirSync(fileUriToPath(dirUri))).toEqual(['model.json']);
  });

  it('a reader racing many writers only ever sees whole files', async () => {
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
    const error = await store.readFile(dirUri, 'model.json').catch((e: unknown) => e);
    expect(errorCode(error)).toBe(ErrorCodes.NOT_FOUND);
    expect(isRetriable(error)).toBe(false);
  });

  it('refuses names that are not plain file names', async () => {
    for (const name of ['../escape', 'a/b', '', '.hidden', '..']) {
      await expect(store.writeFile(dirUri, name, Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCodes.VALIDATION });
    }
  });

  it('a bounded read refuses a larger file without reading it, and a directory climbing with ..', async () => {
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
    const error = await store.writeFile(dirUri, 'model.json', Buffer.from('x')).catch((e: unknown) => e);
    expect(errorCode(error)).toBe(ErrorCodes.STORAGE_UNAVAILABLE);
    expect(isRetriable(error)).toBe(false);
  });
});

describe('FileArtifactStore confinement to its root (issue 14)', () => {
  let base: string;
  let root: string;
  let rootUri: string;
  let elsewhere: string;
  let store: FileArtifactStore;
  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), 'roundhouse-confine-'));
    root = path.join(base, 'root');
    elsewhere = path.join(base, 'elsewhere');
    mkdirSync(root);
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'model.json'), 'secret');
    rootUri = `${pathToFileURL(root).href}/`;
    store = new FileArtifactStore(rootUri);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));
  const refused = (message: RegExp) => ({ code: ErrorCodes.VALIDATION, retriable: false, message: expect.stringMatching(message) });

  it('refuses directories outside the root, a sibling with the same prefix included', async () => {
    await expect(store.writeFile(`${pathToFileURL(elsewhere).href}/m/r/`, 'model.json', Buffer.from('x'))).rejects.toMatchObject(refused(/outside this store's root/));
    await expect(store.readFile(`${pathToFileURL(`${root}-sibling`).href}/m/r/`, 'model.json')).rejects.toMatchObject(refused(/outside this store's root/));
    await expect(store.exists(`${pathToFileURL(elsewhere).href}/`, 'model.json')).rejects.toMatchObject(refused(/outside this store's root/));
  });

  it('refuses %2e%2e segments, which the URL parser turns into .. (they climbed out of the root)', async () => {
    const climb = `${rootUri}m/%2e%2e/%2e%2e/escaped/`;
    await expect(store.writeFile(climb, 'model.json', Buffer.from('x'))).rejects.toMatchObject(refused(/encodes "\." or "\.\."/));
    await expect(store.readFile(`${rootUri}%2E%2E/elsewhere/`, 'model.json')).rejects.toMatchObject(refused(/encodes "\." or "\.\."/));
    expect(existsSync(path.join(base, 'escaped'))).toBe(false);
  });

  it("refuses '#' and '?', where a URL parser cuts the path (shop#1 and shop#2 were one directory)", async () => {
    for (const dir of ['m.shop#1/r/', 'm.shop#2/r/', 'm.shop?x/r/']) {
      await expect(store.writeFile(`${rootUri}${dir}`, 'model.json', Buffer.from(dir))).rejects.toMatchObject(refused(/'\?' or '#'/));
    }
    expect(readdirSync(root)).toEqual([]);
  });

  it('an encoded member directory is one directory of its own (lib/artifacts/segment)', async () => {
    await store.writeFile(`${rootUri}m.shop~231/r/`, 'model.json', Buffer.from('1'));
    await store.writeFile(`${rootUri}m.shop~232/r/`, 'model.json', Buffer.from('2'));
    expect(readdirSync(root).sort()).toEqual(['m.shop~231', 'm.shop~232']);
    expect((await store.readFile(`${rootUri}m.shop~231/r/`, 'model.json')).toString()).toBe('1');
  });

  it('refuses to write or read through a directory link that leaves the root', async () => {
    symlinkSync(elsewhere, path.join(root, 'm'));
    await expect(store.writeFile(`${rootUri}m/`, 'model.json', Buffer.from('overwritten'))).rejects.toMatchObject(refused(/outside this store's root .*symbolic link/));
    await expect(store.writeFile(`${rootUri}m/new/`, 'model.json', Buffer.from('x'))).rejects.toMatchObject(refused(/outside this store's root/));
    await expect(store.readFile(`${rootUri}m/`, 'model.json')).rejects.toMatchObject(refused(/outside this store's root/));
    expect(readFileSync(path.join(elsewhere, 'model.json'), 'utf8')).toBe('secret');
    expect(existsSync(path.join(elsewhere, 'new'))).toBe(false);
  });

  it('refuses a file link that leaves the root (to a file elsewhere, to /dev/zero)', async () => {
    mkdirSync(path.join(root, 'm', 'r'), { recursive: true });
    symlinkSync(path.join(elsewhere, 'model.json'), path.join(root, 'm', 'r', 'model.json'));
    symlinkSync('/dev/zero', path.join(root, 'm', 'r', 'holdout.jsonl.gz'));
    await expect(store.readFile(`${rootUri}m/r/`, 'model.json')).rejects.toMatchObject(refused(/outside this store's root/));
    await expect(store.readFile(`${rootUri}m/r/`, 'holdout.jsonl.gz')).rejects.toMatchObject(refused(/outside this store's root/));
    await expect(store.readFile(`${rootUri}m/r/`, 'holdout.jsonl.gz', { maxBytes: 10 })).rejects.toMatchObject(refused(/outside this store's root/));
    await expect(store.exists(`${rootUri}m/r/`, 'model.json')).rejects.toMatchObject(refused(/outside this store's root/));
  });

  it('a write replaces a link at the file name instead of writing through it', async () => {
    mkdirSync(path.join(root, 'm'));
    symlinkSync(path.join(elsewhere, 'model.json'), path.join(root, 'm', 'model.json'));
    await store.writeFile(`${rootUri}m/`, 'model.json', Buffer.from('mine'));
    expect(readFileSync(path.join(elsewhere, 'model.json'), 'utf8')).toBe('secret');
    expect((await store.readFile(`${rootUri}m/`, 'model.json')).toString()).toBe('mine');
  });

  it('refuses a FIFO at once (not a regular file) instead of waiting for a writer', async () => {
    mkdirSync(path.join(root, 'm'));
    execFileSync('mkfifo', [path.join(root, 'm', 'holdout.jsonl.gz')]);
    await expect(store.readFile(`${rootUri}m/`, 'holdout.jsonl.gz', { maxBytes: 10 })).rejects.toMatchObject(refused(/not a regular file/));
    await expect(store.readFile(`${rootUri}m/`, 'holdout.jsonl.gz')).rejects.toMatchObject(refused(/not a regular file/));
  });

  it('follows links that stay inside the root, and a root that is itself a link', async () => {
    await store.writeFile(`${rootUri}m/r1/`, 'model.json', Buffer.from('one'));
    symlinkSync(path.join(root, 'm', 'r1'), path.join(root, 'm', 'r2'));
    expect((await store.readFile(`${rootUri}m/r2/`, 'model.json')).toString()).toBe('one');
    symlinkSync(root, path.join(base, 'link'));
    const linked = new FileArtifactStore(`${pathToFileURL(path.join(base, 'link')).href}/`);
    await linked.writeFile(`${pathToFileURL(path.join(base, 'link')).href}/m/r3/`, 'model.json', Buffer.from('three'));
    expect(readFileSync(path.join(root, 'm', 'r3', 'model.json'), 'utf8')).toBe('three');
  });

  it('relative roots resolve against baseDir; a directory outside it is refused', async () => {
    const relative = new FileArtifactStore('file://./artifacts', base);
    await relative.writeFile('file://./artifacts/m/r/', 'model.json', Buffer.from('x'));
    expect(readFileSync(path.join(base, 'artifacts', 'm', 'r', 'model.json'), 'utf8')).toBe('x');
    await expect(relative.readFile('file://./root/', 'model.json')).rejects.toMatchObject(refused(/outside this store's root/));
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

  it.each(['file:///a/%2e%2e/etc/', 'file://./a/%2E/b/', 'file:///a/b%2Fc/', 'file:///a/b%5Cc/', 'file:///a#b/', 'file:///a?b/', 'file:///a/%zz/', 'http:///a/'])(
    '%s is refused (VALIDATION)',
    (uri) => {
      expect(() => fileUriToPath(uri, '/base')).toThrow(expect.objectContaining({ code: ErrorCodes.VALIDATION, retriable: false }));
    },
  );
});
