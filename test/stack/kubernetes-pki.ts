/**
 * Certificates and keys for one control-plane run, made with the openssl CLI
 * (OpenSSL 1.1.1+; no npm dependency): a CA,
 * the API server's serving cert, one client cert per identity, and the
 * service-account signing key pair. Fresh per run; nothing is cached.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StackError, StackErrorCodes } from './errors';
import { runCommand } from './util';

export interface ClientIdentity {
  /** File stem, e.g. "admin". */
  readonly name: string;
  /** The user name the API server sees (certificate CN). */
  readonly user: string;
  /** Groups (certificate O), e.g. system:masters. */
  readonly groups: readonly string[];
}

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  /** Client cert and key per identity name. */
  readonly clients: Readonly<Record<string, { cert: string; key: string }>>;
}

const DAYS = '30';

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  const result = await runCommand('openssl', args, { cwd, timeoutMs: 60_000 });
  if (result.code !== 0) throw new StackError(StackErrorCodes.START_FAILED, `openssl ${args[0] ?? ''} failed (exit ${String(result.code)}):\n${result.output.slice(-2000)}`);
}

/** "/O=a/O=b/CN=x", escaping what openssl's -subj parser treats specially. */
export function subject(cn: string, groups: readonly string[] = []): string {
  const esc = (v: string): string => v.replace(/[\\/,+=]/g, (c) => `\\${c}`);
  return [...groups.map((g) => `/O=${esc(g)}`), `/CN=${esc(cn)}`].join('');
}

/** The serving cert's names: how tests reach it, and how pods would (the `kubernetes` Service). */
export function serverAltNames(serviceIp: string): string {
  return ['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local', `IP:${serviceIp}`].join(',');
}

async function ecKey(file: string, cwd: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], cwd);
}

/** A key and a cert signed by the CA, with the given extensions (an -extfile section). */
async function signed(dir: string, stem: string, subj: string, extensions: string, ca: { cert: string; key: string }): Promise<{ cert: string; key: string }> {
  const key = path.join(dir, `${stem}.key`);
  const csr = path.join(dir, `${stem}.csr`);
  const cert = path.join(dir, `${stem}.crt`);
  const ext = path.join(dir, `${stem}.ext`);
  await ecKey(key, dir);
  await openssl(['req', '-new', '-key', key, '-subj', subj, '-out', csr], dir);
  await fs.writeFile(ext, extensions);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-CAserial', path.join(dir, `${stem}.srl`), '-days', DAYS, '-sha256', '-extfile', ext, '-out', cert], dir);
  await Promise.all([fs.rm(csr), fs.rm(ext)]);
  return { cert, key };
}

export async function createPki(dir: string, opts: { serviceIp: string; clients: readonly ClientIdentity[] }): Promise<Pki> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const caKey = path.join(dir, 'ca.key');
  const caCert = path.join(dir, 'ca.crt');
  await ecKey(caKey, dir);
  await openssl(
    ['req', '-x509', '-new', '-key', caKey, '-subj', subject('roundhouse-test-ca'), '-days', DAYS, '-sha256', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', caCert],
    dir,
  );
  const ca = { cert: caCert, key: caKey };
  const leaf = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n';

  // Service-account tokens are RS256 by default; RSA keeps every verifier happy.
  const serviceAccountKey = path.join(dir, 'service-account.key');
  const serviceAccountPub = path.join(dir, 'service-account.pub');
  const saKey = openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', serviceAccountKey], dir).then(() =>
    openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub], dir),
  );
  const server = signed(dir, 'apiserver', subject('kube-apiserver'), `${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=${serverAltNames(opts.serviceIp)}\n`, ca);
  const clients = Promise.all(opts.clients.map(async (c) => [c.name, await signed(dir, c.name, subject(c.user, c.groups), `${leaf}extendedKeyUsage=clientAuth\n`, ca)] as const));
  const [, serving, issued] = await Promise.all([saKey, server, clients]);
  return { dir, caCert, caKey, serverCert: serving.cert, serverKey: serving.key, serviceAccountKey, serviceAccountPub, clients: Object.fromEntries(issued) };
}
