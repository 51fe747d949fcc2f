import { ErrorCodes, RoundhouseError } from '../errors';
import type { ArtifactStore } from './types';

/** An in-memory ArtifactStore for unit tests and the embedded demo; records writes. */
export class MemoryArtifactStore implements ArtifactStore {
  private readonly files = new Map<string, Buffer>();
  readonly writes: string[] = [];

  private key(dirUri: string, name: string): string {
    return `${dirUri.endsWith('/') ? dirUri : `${dirUri}/`}${name}`;
  }

  async writeFile(dirUri: string, name: string, data: Buffer): Promise<void> {
    const key = this.key(dirUri, name);
    this.files.set(key, Buffer.from(data));
    this.writes.push(key);
  }

  async readFile(dirUri: string, name: string): Promise<Buffer> {
    const data = this.files.get(this.key(dirUri, name));
    if (!data) throw new RoundhouseError(ErrorCodes.NOT_FOUND, `artifact file ${this.key(dirUri, name)} does not exist`, { context: { dirUri, name } });
    return Buffer.from(data);
  }

  async exists(dirUri: string, name: string): Promise<boolean> {
    return this.files.has(this.key(dirUri, name));
  }
}
