import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { loadConfig } from '../config';
import { ErrorCodes } from '../errors';
import { S3ArtifactStore, readBounded, s3ClientConfig } from './s3-store';

/**
 * The S3 store's wiring against a scripted HTTP server on 127.0.0.1: retries,
 * path-style URLs, error mapping and bounded reads. The real protocol
 * (multipart, signatures, corruption on a real server) is
 * test/integration/s3-artifacts.test.ts against SeaweedFS.
 */

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

const s3ErrorXml = (code: string): string => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} from the stub</Message></Error>`;
const fail = (res: ServerResponse, status: number, code: string): void => {
  res.writeHead(status, { 'content-type': 'application/xml' }).end(s3ErrorXml(code));
};

describe('S3ArtifactStore over HTTP', () => {
  let server: Server;
  let handlers: Handler[];
  let seen: { method: string; url: string; bytes: number }[];
  let store: S3ArtifactStore;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        seen.push({ method: req.method ?? '', url: req.url ?? '', bytes: body.length });
        const handler = handlers.length > 1 ? handlers.shift()! : handlers[0];
        if (handler) handler(req, res, body);
        else fail(res, 500, 'InternalError');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const settings = { ...loadConfig({ ROUNDHOUSE_S3_ENDPOINT: `http://127.0.0.1:${port}`, ROUNDHOUSE_S3_MAX_ATTEMPTS: '3' }).s3 };
    store = new S3ArtifactStore('s3://bucket/prod/', { settings, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });
  beforeEach(() => {
    handlers = [];
    seen = [];
  });
  afterAll(async () => {
    store.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('writes path-style under the root prefix, retrying a SlowDown', async () => {
    handlers = [(_q, res) => fail(res, 503, 'SlowDown'), (_q, res) => res.writeHead(200, { etag: '"x"' }).end()];
    await store.writeFile('s3://bucket/prod/m/r/', 'model.json', Buffer.from('{"m":1}'));
    expect(seen.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual(['PUT /bucket/prod/m/r/model.json', 'PUT /bucket/prod/m/r/model.json']);
    expect(seen[1]!.bytes).toBeGreaterThanOrEqual(7);
  });

  it('gives up after maxAttempts on 5xx: STORAGE_UNAVAILABLE, retriable, naming the object', async () => {
    handlers = [(_q, res) => fail(res, 500, 'InternalError')];
    await expect(store.readFile('s3://bucket/prod/m/r/', 'model.json')).rejects.toMatchObject({
      code: ErrorCodes.STORAGE_UNAVAILABLE,
      retriable: true,
      message: expect.stringMatching(/^reading s3:\/\/bucket\/prod\/m\/r\/model\.json failed: InternalError \(HTTP 500\)/),
    });
    expect(seen).toHaveLength(3);
  });

  it('does not retry what retrying cannot fix: NoSuchKey is NOT_FOUND, AccessDenied permanent', async () => {
    handlers = [(_q, res) => fail(res, 404, 'NoSuchKey')];
    await expect(store.readFile('s3://bucket/prod/m/r/', 'model.json')).rejects.toMatchObject({ code: ErrorCodes.NOT_FOUND, retriable: false });
    expect(seen).toHaveLength(1);
    handlers = [(_q, res) => fail(res, 403, 'AccessDenied')];
    await expect(store.readFile('s3://bucket/prod/m/r/', 'model.json')).rejects.toMatchObject({ code: ErrorCodes.STORAGE_UNAVAILABLE, retriable: false });
    expect(seen).toHaveLength(2);
  });

  it('exists() is a HEAD: 404 is false, 200 true', async () => {
    handlers = [(_q, res) => res.writeHead(404).end(), (_q, res) => res.writeHead(200, { 'content-length': '0' }).end()];
    expect(await store.exists('s3://bucket/prod/m/r/', 'manifest.json')).toBe(false);
    expect(await store.exists('s3://bucket/prod/m/r/', 'manifest.json')).toBe(true);
    expect(seen.map((r) => r.method)).toEqual(['HEAD', 'HEAD']);
  });

  it('refuses an object larger than maxBytes from its Content-Length, without reading the body', async () => {
    handlers = [(_q, res) => res.writeHead(200, { 'content-length': String(4 * 1024 * 1024) }).end(Buffer.alloc(4 * 1024 * 1024))];
    await expect(store.readFile('s3://bucket/prod/m/r/', 'holdout.jsonl.gz', { maxBytes: 1024 })).rejects.toMatchObject({
      code: ErrorCodes.ARTIFACT_INTEGRITY,
      retriable: false,
      message: 's3://bucket/prod/m/r/holdout.jsonl.gz: 4194304 bytes, more than the 1024 expected; not read',
    });
    handlers = [(_q, res) => res.writeHead(200, { 'content-length': '5' }).end('hello')];
    expect((await store.readFile('s3://bucket/prod/m/r/', 'model.json', { maxBytes: 5 })).toString()).toBe('hello');
  });

  it('refuses a key outside its root before any request', async () => {
    await expect(store.writeFile('s3://bucket/other/m/r/', 'model.json', Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCodes.VALIDATION });
    await expect(store.readFile('s3://bucket/prod/../other/', 'model.json')).rejects.toMatchObject({ code: ErrorCodes.VALIDATION });
    expect(seen).toEqual([]);
  });
});

describe('readBounded', () => {
  it('stops and destroys the stream once past maxBytes (a server sending more than it announced)', async () => {
    let pulled = 0;
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) {
          pulled++;
          yield Buffer.alloc(1024);
        }
      })(),
    );
    await expect(readBounded(body, 3000, () => new Error('too large'))).rejects.toThrow('too large');
    expect(pulled).toBeLessThan(10);
    expect(body.destroyed).toBe(true);
    expect((await readBounded(Readable.from([Buffer.from('ab'), Buffer.from('c')]), 3, () => new Error('x'))).toString()).toBe('abc');
  });
});

describe('s3ClientConfig', () => {
  it('endpoint and path style for S3-compatible servers; nothing forced for AWS', () => {
    const custom = s3ClientConfig(loadConfig({ ROUNDHOUSE_S3_ENDPOINT: 'http://127.0.0.1:8333' }).s3);
    expect(custom).toMatchObject({ endpoint: 'http://127.0.0.1:8333', region: 'us-east-1', forcePathStyle: true, maxAttempts: 5, retryMode: 'standard' });
    expect(custom.credentials).toBeUndefined();
    const aws = s3ClientConfig(loadConfig({ AWS_REGION: 'eu-west-1' }).s3);
    expect(aws).toMatchObject({ region: 'eu-west-1', forcePathStyle: false });
    expect(aws.endpoint).toBeUndefined();
  });
});
