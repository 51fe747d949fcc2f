import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, RoundhouseError } from '../errors';
import type { ArtifactStore } from './types';

/**
 * file:// artifact directories. Writes are atomic (a temp file in the same
 * directory, then rename), so a reader never sees half a file, and a rerun of
 * the same runId overwrites each file in one step. Directories are created as
 * needed.
 *
 * URIs: `file:///abs/dir/` is an absolute path; `file://./dir/` and `file://dir/`
 * (the dispatcher's default root is `file://./artifacts`) are relative to
 * `baseDir` (default: the working directory).
 */
export class FileArtifactStore implements ArtifactStore {
  constructor(private readonly baseDir: string = process.cwd()) {}

  /** The local directory an artifact URI names. */
  dirPath(dirUri: string): string {
    return fileUriToPath(dirUri, this.baseDir);
  }

  async writeFile(dirUri: string, name: string, data: Buffer): Promise<void> {
    const dir = this.dirPath(dirUri);
    const target = path.join(dir, checkName(name));
    const temp = path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await fs.mkdir(dir, { recursive: true });
      const handle = await fs.open(temp, 'w');
      try {
        await handle.writeFile(data);
        // Durable before it becomes visible: a crash leaves the old file or the new one, never a torn one.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, target);
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw storageError(error, `writing ${target}`, { dirUri, name });
    }
  }

  async readFile(dirUri: string, name: string): Promise<Buffer> {
    const target = path.join(this.dirPath(dirUri), checkName(name));
    try {
      return await fs.readFile(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new RoundhouseError(ErrorCodes.NOT_FOUND, `artifact file ${target} does not exist`, { context: { dirUri, name }, cause: error });
      }
      throw storageError(error, `reading ${target}`, { dirUri, name });
    }
  }

  async exists(dirUri: string, name: string): Promise<boolean> {
    try {
      await fs.access(path.join(this.dirPath(dirUri), checkName(name)));
      return true;
    } catch {
      return false;
    }
  }
}

/** A local path for a file:// URI; throws VALIDATION for other schemes. */
export function fileUriToPath(uri: string, baseDir: string = process.cwd()): string {
  if (!uri.startsWith('file://')) throw new RoundhouseError(ErrorCodes.VALIDATION, `not a file:// URI: ${uri}`, { context: { uri } });
  if (uri.startsWith('file:///')) return fileURLToPath(uri);
  return path.resolve(baseDir, decodeURIComponent(uri.slice('file://'.length)));
}

/**
 * The ArtifactStore for a URI's scheme. s3:// is not supported yet: it would
 * need @aws-sdk/client-s3 (a heavy dependency); the error says so, and is not
 * retriable (retrying cannot install it).
 */
export function artifactStoreFor(uri: string, baseDir?: string): ArtifactStore {
  if (uri.startsWith('file://')) return new FileArtifactStore(baseDir);
  if (uri.startsWith('s3://')) {
    throw new RoundhouseError(
      ErrorCodes.CONFIG_INVALID,
      `s3:// artifact URIs are not supported yet (${uri}); use a file:// root (e.g. a mounted volume) or add an S3 ArtifactStore`,
      { retriable: false, context: { uri } },
    );
  }
  throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `unsupported artifact URI scheme: ${uri}`, { retriable: false, context: { uri } });
}

function checkName(name: string): string {
  if (name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..' || name.startsWith('.')) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `invalid artifact file name ${JSON.stringify(name)}: a plain file name is expected`, { context: { name } });
  }
  return name;
}

/** File system errors are retriable (a full or unmounted volume may come back), except a refusal of permission. */
function storageError(error: unknown, what: string, context: Record<string, string>): RoundhouseError {
  const code = (error as NodeJS.ErrnoException).code;
  const permanent = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EISDIR';
  return new RoundhouseError(ErrorCodes.STORAGE_UNAVAILABLE, `${what}: ${(error as Error).message}`, { retriable: !permanent, context, cause: error });
}
