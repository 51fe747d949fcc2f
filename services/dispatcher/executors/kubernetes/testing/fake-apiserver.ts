import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Job } from '@kubernetes/client-node';

/**
 * Just enough of the batch/v1 Jobs API, over real HTTP, to exercise client-node
 * end to end in unit tests (serialization, ApiException, list + watch) while no
 * real API server is available: create (201/409), read (200/404), delete
 * (200/404, records propagationPolicy), list with resourceVersion, and watch
 * streams. Label selectors are recorded, not applied.
 */
export class FakeApiServer {
  readonly jobs = new Map<string, V1Job>();
  readonly requests: string[] = [];
  readonly deletes: { name: string; body: unknown }[] = [];
  private readonly watchers = new Set<ServerResponse>();
  private readonly failures: number[] = [];
  private readonly watchFailures: number[] = [];
  private rv = 1;
  private uid = 0;
  private server: Server | undefined;

  constructor(private readonly namespace: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const watcher of this.watchers) watcher.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The next non-watch request answers with this status. */
  failNext(status: number): void {
    this.failures.push(status);
  }

  /** The next watch request answers with this status. */
  failNextWatch(status: number): void {
    this.watchFailures.push(status);
  }

  watcherCount(): number {
    return this.watchers.size;
  }

  /** Change a Job's status as the Job controller would, and tell the watchers. */
  setStatus(name: string, status: V1Job['status']): void {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no job ${name}`);
    const updated = { ...job, metadata: { ...job.metadata, resourceVersion: String(++this.rv) }, status };
    this.jobs.set(name, updated);
    this.broadcast('MODIFIED', updated);
  }

  /** End every open watch with an error-free close (the server's watch timeout). */
  dropWatches(): void {
    for (const watcher of this.watchers) watcher.end();
    this.watchers.clear();
  }

  private broadcast(type: string, object: V1Job): void {
    for (const watcher of this.watchers) watcher.write(`${JSON.stringify({ type, object })}\n`);
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code }));
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => resolve(text));
    });
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const base = `/apis/batch/v1/namespaces/${this.namespace}/jobs`;
    const isWatch = url.searchParams.get('watch') === 'true';
    if (isWatch) {
      const failure = this.watchFailures.shift();
      if (failure !== undefined) return this.status(res, failure, 'InternalError', 'injected watch failure');
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      this.watchers.add(res);
      res.on('close', () => this.watchers.delete(res));
      return;
    }
    const failure = this.failures.shift();
    if (failure !== undefined) return this.status(res, failure, failure === 429 ? 'TooManyRequests' : 'InternalError', 'injected failure');
    if (url.pathname === base && req.method === 'GET') {
      return this.json(res, 200, { kind: 'JobList', apiVersion: 'batch/v1', metadata: { resourceVersion: String(this.rv) }, items: [...this.jobs.values()] });
    }
    if (url.pathname === base && req.method === 'POST') {
      const job = JSON.parse(body) as V1Job;
      const name = job.metadata?.name ?? '';
      if (this.jobs.has(name)) return this.status(res, 409, 'AlreadyExists', `jobs.batch "${name}" already exists`);
      const stored: V1Job = { ...job, metadata: { ...job.metadata, uid: `uid-${++this.uid}`, resourceVersion: String(++this.rv), creationTimestamp: new Date() }, status: {} };
      this.jobs.set(name, stored);
      this.broadcast('ADDED', stored);
      return this.json(res, 201, stored);
    }
    const name = url.pathname.startsWith(`${base}/`) ? decodeURIComponent(url.pathname.slice(base.length + 1)) : null;
    if (name !== null && req.method === 'GET') {
      const job = this.jobs.get(name);
      return job ? this.json(res, 200, job) : this.status(res, 404, 'NotFound', `jobs.batch "${name}" not found`);
    }
    if (name !== null && req.method === 'DELETE') {
      const job = this.jobs.get(name);
      if (!job) return this.status(res, 404, 'NotFound', `jobs.batch "${name}" not found`);
      this.deletes.push({ name, body: body ? JSON.parse(body) : null });
      this.jobs.delete(name);
      this.broadcast('DELETED', { ...job, metadata: { ...job.metadata, resourceVersion: String(++this.rv) } });
      return this.json(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
    }
    this.status(res, 404, 'NotFound', `no route for ${req.method} ${url.pathname}`);
  }
}
