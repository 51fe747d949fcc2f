/**
 * The few API calls the harness makes itself (readiness, the fake node), over
 * node:https with the admin client cert. Not @kubernetes/client-node: it is ESM
 * only, and this code runs inside jest's global setup.
 */
import { request } from 'node:https';

export interface ApiResponse {
  readonly status: number;
  readonly body: string;
}

export interface TlsIdentity {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export class KubeApi {
  constructor(
    private readonly server: string,
    private readonly tls: TlsIdentity,
  ) {}

  /** One request; rejects only on a network error or timeout, never on a status. */
  call(method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.server),
        {
          method,
          ...this.tls,
          agent: false,
          headers: { accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Status code of a GET, 0 when the server does not answer (not up yet). */
  async status(path: string): Promise<number> {
    return this.call('GET', path).then(
      (r) => r.status,
      () => 0,
    );
  }

  async getJson(path: string): Promise<unknown> {
    const r = await this.call('GET', path);
    return r.status === 200 ? (JSON.parse(r.body) as unknown) : undefined;
  }
}

/** Whether a Node object reports condition Ready=True. */
export function nodeIsReady(node: unknown): boolean {
  const conditions = (node as { status?: { conditions?: Array<{ type?: string; status?: string }> } } | undefined)?.status?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}
