import { ErrorCodes, RoundhouseError } from '../errors';
import { tooLargeError } from './errors';
import { checkDirUri, checkFileName, objectKey, parseS3Root, type S3Root } from './paths';
import type { ArtifactStore, ReadOptions } from './types';

/**
 * An in-memory ArtifactStore for unit tests and the embedded demo; records
 * writes. It keeps the rules of the real stores (types.ts): plain file names,
 * no "..", bounded reads, and, given an s3:// `root`, keys under that root only.
 */
export class MemoryArtifactStore implements ArtifactStore {
  private readonly files = new Map<string, Buffer>();
  readonly writes: string[] = [];
  private readonly root: S3Root | null;

  constructor(options: { readonly root?: string } = {}) {
    this.root = options.root === undefined ? null : parseS3Root(options.root);
  }

  private key(dirUri: string, name: string): string {
    if (this.root !== null) return `s3://${this.root.bucket}/${objectKey(this.root, dirUri, name)}`;
    return `${checkDirUri(dirUri, { allowDot: true })}${checkFileName(name)}`;
  }

  async writeFile(dirUri: string, name: string, data: Buffer): Promise<void> {
    const key = this.key(dirUri, name);
    this.files.set(key, Buffer.from(data));
    this.writes.push(key);
  }

  async readFile(dirUri: string, name: string, options: ReadOptions = {}): Promise<Buffer> {
    const key = this.key(dirUri, name);
    const data = this.files.get(key);
    if (!data) throw new RoundhouseError(ErrorCodes.NOT_FOUND, `artifact file ${key} does not exist`, { context: { dirUri, name } });
    if (options.maxBytes !== undefined && data.length > options.maxBytes) throw tooLargeError(key, data.length, options.maxBytes);
    return Buffer.from(data);
  }

  async exists(dirUri: string, name: string): Promise<boolean> {
    return this.files.has(this.key(dirUri, name));
  }

  /** Test hook: replace a file's bytes behind the store's back (a corrupted object). */
  tamper(dirUri: string, name: string, data: Buffer): void {
    this.files.set(this.key(dirUri, name), Buffer.from(data));
  }
}
