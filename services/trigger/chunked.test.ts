import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { CHUNK_BYTES, chunkedMessages, committedState, readChunked } from './chunked';

/** What CheckpointStore.load() makes of the records: the latest gzipped JSON per key, tombstones delete. */
function load(records: { key: string | Buffer | null; value: Buffer | null }[]): Map<string, unknown> {
  const states = new Map<string, unknown>();
  for (const r of records) {
    const key = String(r.key);
    if (r.value === null) states.delete(key);
    else states.set(key, JSON.parse(gunzipSync(r.value).toString()));
  }
  return states;
}

describe('chunked checkpoints', () => {
  const small = { v: 2, n: 1 };
  // Incompressible strings: about 3 MiB of gzip.
  const large = { v: 2, blobs: Array.from({ length: 48 }, () => randomBytes(48 * 1024).toString('base64')) };

  it('keeps a small state in one record under its key', () => {
    const { messages, pieces } = chunkedMessages('state', 'judge/g/0', small, 0);
    expect(pieces).toBe(0);
    expect(messages.map((m) => m.key)).toEqual(['judge/g/0']);
    expect(readChunked(load(messages), 'judge/g/0')).toEqual({ state: small, pieces: 0 });
  });

  it('splits a large state into pieces under the broker limit, header last, and reads it back whole', () => {
    const { messages, pieces, bytes } = chunkedMessages('state', 'judge/g/0', large, 0);
    expect(pieces).toBe(Math.ceil(bytes / CHUNK_BYTES));
    expect(pieces).toBeGreaterThanOrEqual(5);
    expect(messages.at(-1)!.key).toBe('judge/g/0');
    for (const m of messages) expect(m.value!.length).toBeLessThan(1_000_000);
    expect(readChunked(load(messages), 'judge/g/0')).toEqual({ state: large, pieces });
  });

  it('tombstones the pieces a smaller checkpoint no longer needs, and refuses an incomplete set', () => {
    const first = chunkedMessages('state', 'k', large, 0);
    const second = chunkedMessages('state', 'k', small, first.pieces);
    expect(second.messages.filter((m) => m.value === null).map((m) => m.key)).toEqual(Array.from({ length: first.pieces }, (_, i) => `k#${i}`));
    const states = load([...first.messages, ...second.messages]);
    expect([...states.keys()]).toEqual(['k']);
    expect(readChunked(states, 'k')!.state).toEqual(small);
    const missing = load(first.messages.filter((m) => m.key !== 'k#2'));
    expect(readChunked(missing, 'k')).toBeUndefined();
  });

  it('reads back what a stage kept after its commit', () => {
    const { json } = chunkedMessages('state', 'k', large, 0);
    expect(readChunked(new Map([['k', committedState(json)]]), 'k')).toEqual({ state: large, pieces: -1 });
  });
});
