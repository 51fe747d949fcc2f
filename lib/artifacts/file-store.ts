import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, RoundhouseError } from '../errors';
import { checkDirUri, checkFileName } from './paths';
import type { ArtifactStore, ReadOptions } from './types';
import { tooLargeError } from './errors';

/**
 * file:// artifact directories under one root. Writes are atomic (a temp file
 * in the same directory, then rename), so a reader never sees half a file, and
 * a rerun of the same run overwrites each file in one step. Directories are
 * created as needed.
 *
 * URIs: `file:///abs/dir/` is an absolute path; `file://./dir/` and `file://dir/`
 * (the dispatcher's default root is `file://./artifacts`) are relative to
 * `baseDir` (default: the working directory).
 *
 * Confinement (issue 14): every path is resolved and must be inside the root,
 * first as written (a `%2e%2e` segment, which the URL parser turns into "..",
 * or a '#' or '?', which it would cut the path at, never reaches the disk),
 * then with symbolic links resolved (realpath of the directory and the file),
 * so a link planted in a shared volume cannot point a read or a write
 * elsewhere. Reads open the resolved file without following a link
 * (O_NOFOLLOW) and only a regular file is read: a FIFO or a device (/dev/zero)
 * is refused. Anything outside is VALIDATION (not retriable), naming the path
 * and the root.
 */
export class FileArtifactStore implements ArtifactStore {
  /** The root as an absolute local path. */
  readonly rootPath: string;

  /** `root`: a file:// URI (ARTIFACT_ROOT, or a run's own directory for a trainer). */
  constructor(
    root: string,
    private readonly baseDir: string = process.cwd(),
  ) {
    this.rootPath = fileUriToPath(checkDirUri(root, { allowDot: true }), baseDir);
  }

  /** The local directory an artifact URI names, refused (VALIDATION) unless inside the root as written. */
  dirPath(dirUri: string): string {
    const dir = fileUriToPath(checkDirUri(dirUri, { allowDot: true }), this.baseDir);
    if (!isInside(this.rootPath, dir)) throw outside(dir, this.rootPath, { dirUri });
    return dir;
  }

  async writeFile(dirUri: string, name: string, data: Buffer): Promise<void> {
    const dir = this.dirPath(dirUri);
    const target = path.join(dir, checkFileName(name));
    const temp = path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    let opened = false;
    try {
      await fs.mkdir(this.rootPath, { recursive: true });
      const realRoot = await fs.realpath(this.rootPath);
      // mkdir follows links: check what exists before creating below it, and the result after.
      await this.checkReal(await deepestExisting(dir), realRoot, { dirUri, name });
      await fs.mkdir(dir, { recursive: true });
      await this.checkReal(await fs.realpath(dir), realRoot, { dirUri, name });
      // wx: never through a link (or file) someone left at the temp name.
      const handle = await fs.open(temp, 'wx');
      opened = true;
      try {
        await handle.writeFile(data);
        // Durable before it becomes visible: a crash leaves the old file or the new one, never a torn one.
        await handle.sync();
      } finally {
        await handle.close();
      }
      // rename replaces a link at the target, it does not write through it.
      await fs.rename(temp, target);
    } catch (error) {
      if (opened) await fs.rm(temp, { force: true }).catch(() => undefined);
      if (errorCodeOf(error) === ErrorCodes.VALIDATION) throw error;
      throw storageError(error, `writing ${target}`, { dirUri, name });
    }
  }

  async readFile(dirUri: string, name: string, options: ReadOptions = {}): Promise<Buffer> {
    const target = path.join(this.dirPath(dirUri), checkFileName(name));
    try {
      const real = await fs.realpath(target);
      await this.checkReal(real, await fs.realpath(this.rootPath), { dirUri, name });
      // O_NONBLOCK: opening a FIFO does not wait for a writer; it is refused below.
      const handle = await fs.open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) {
          throw new RoundhouseError(ErrorCodes.VALIDATION, `artifact file ${target} is not a regular file; not read`, { retriable: false, context: { dirUri, name } });
        }
        if (options.maxBytes === undefined) return await handle.readFile();
        if (stat.size > options.maxBytes) throw tooLargeError(target, stat.size, options.maxBytes);
        const data = Buffer.alloc(stat.size);
        const { bytesRead } = await handle.read(data, 0, stat.size, 0);
        return data.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (error) {
      const code = errorCodeOf(error);
      if (code === ErrorCodes.ARTIFACT_INTEGRITY || code === ErrorCodes.VALIDATION) throw error;
      if (code === 'ENOENT') {
        throw new RoundhouseError(ErrorCodes.NOT_FOUND, `artifact file ${target} does not exist`, { context: { dirUri, name }, cause: error });
      }
      if (code === 'ELOOP') {
        throw new RoundhouseError(ErrorCodes.VALIDATION, `artifact file ${target} became a symbolic link while being opened; not read`, { retriable: false, context: { dirUri, name } });
      }
      throw storageError(error, `reading ${target}`, { dirUri, name });
    }
  }

  async exists(dirUri: string, name: string): Promise<boolean> {
    const target = path.join(this.dirPath(dirUri), checkFileName(name));
    let real: string;
    try {
      real = await fs.realpath(target);
    } catch {
      return false;
    }
    await this.checkReal(real, await fs.realpath(this.rootPath), { dirUri, name });
    return true;
  }

  private async checkReal(real: string, realRoot: string, context: Record<string, string>): Promise<void> {
    if (!isInside(realRoot, real)) throw outside(real, realRoot, context, 'a symbolic link leads there');
  }
}

/** Whether `candidate` is `root` or below it (both absolute, normalised). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative));
}

function outside(where: string, root: string, context: Record<string, string>, why?: string): RoundhouseError {
  return new RoundhouseError(ErrorCodes.VALIDATION, `artifact path ${where} is outside this store's root ${root}${why ? ` (${why})` : ''}; refused`, {
    retriable: false,
    context: { ...context, root },
  });
}

/** The realpath of `dir`, or of its closest ancestor that exists. */
async function deepestExisting(dir: string): Promise<string> {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      return await fs.realpath(current);
    } catch (error) {
      if (errorCodeOf(error) !== 'ENOENT' || path.dirname(current) === current) throw error;
    }
  }
}

/**
 * A local path for a file:// URI; VALIDATION for another scheme, for a '?' or
 * '#' (a URL parser ends the path there, so `shop#1` and `shop#2` were one
 * directory) and for a segment that decodes to "." or ".." or holds an encoded
 * separator (the URL parser normalises `%2e%2e` away: it climbed out of the root).
 */
export function fileUriToPath(uri: string, baseDir: string = process.cwd()): string {
  const bad = (why: string): RoundhouseError => new RoundhouseError(ErrorCodes.VALIDATION, `invalid file:// URI ${JSON.stringify(uri)}: ${why}`, { retriable: false, context: { uri } });
  if (!uri.startsWith('file://')) throw new RoundhouseError(ErrorCodes.VALIDATION, `not a file:// URI: ${uri}`, { retriable: false, context: { uri } });
  const rest = uri.slice('file://'.length);
  if (rest.includes('?') || rest.includes('#')) throw bad("it contains '?' or '#'");
  const segments = rest.split('/').map((s) => {
    try {
      return { raw: s, decoded: decodeURIComponent(s) };
    } catch {
      throw bad(`segment ${JSON.stringify(s)} is not valid percent-encoding`);
    }
  });
  for (const s of segments) {
    if (s.decoded.includes('/') || s.decoded.includes('\\') || s.decoded.includes('\u0000')) throw bad('a segment encodes a separator or NUL');
    if (s.raw !== s.decoded && (s.decoded === '.' || s.decoded === '..')) throw bad('a segment encodes "." or ".."');
  }
  if (uri.startsWith('file:///')) return fileURLToPath(uri);
  return path.resolve(baseDir, decodeURIComponent(rest));
}

const errorCodeOf = (error: unknown): unknown => (error as { code?: unknown }).code;

/** File system errors are retriable (a full or unmounted volume may come back), except a refusal of permission. */
function storageError(error: unknown, what: string, context: Record<string, string>): RoundhouseError {
  const code = (error as NodeJS.ErrnoException).code;
  const permanent = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EISDIR';
  return new RoundhouseError(ErrorCodes.STORAGE_UNAVAILABLE, `${what}: ${(error as Error).message}`, { retriable: !permanent, context, cause: error });
}
