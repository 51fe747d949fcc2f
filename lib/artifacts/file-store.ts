import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, RoundhouseError } from '../errors';
import { checkDirUri, checkFileName } from './paths';
import type { ArtifactStore, ReadOptions } from './types';
import { tooLargeError } from './errors';

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
    return fileUriToPath(checkDirUri(dirUri, { allowDot: true }), this.baseDir);
  }

  async writeFile(dirUri: string, name: string, data: Buffer): Promise<void> {
    const dir = this.dirPath(dirUri);
    const target = path.join(dir, checkFileName(name));
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

  async readFile(dirUri: string, name: string, options: ReadOptions = {}): Promise<Buffer> {
    const target = path.join(this.dirPath(dirUri), checkFileName(name));
    try {
      if (options.maxBytes === undefined) return await fs.readFile(target);
      const handle = await fs.open(target, 'r');
      try {
        const { size } = await handle.stat();
        if (size > options.maxBytes) throw tooLargeError(target, size, options.maxBytes);
        const data = Buffer.alloc(size);
        const { bytesRead } = await handle.read(data, 0, size, 0);
        return data.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ARTIFACT_INTEGRITY') throw error;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new RoundhouseError(ErrorCodes.NOT_FOUND, `artifact file ${target} does not exist`, { context: { dirUri, name }, cause: error });
      }
      throw storageError(error, `reading ${target}`, { dirUri, name });
    }
  }

  async exists(dirUri: string, name: string): Promise<boolean> {
    try {
      await fs.access(path.join(this.dirPath(dirUri), checkFileName(name)));
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

/** File system errors are retriable (a full or unmounted volume may come back), except a refusal of permission. */
function storageError(error: unknown, what: string, context: Record<string, string>): RoundhouseError {
  const code = (error as NodeJS.ErrnoException).code;
  const permanent = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EISDIR';
  return new RoundhouseError(ErrorCodes.STORAGE_UNAVAILABLE, `${what}: ${(error as Error).message}`, { retriable: !permanent, context, cause: error });
}
