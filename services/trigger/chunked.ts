import { gunzipSync, gzipSync } from 'node:zlib';
import type { OutboundMessage } from '../../lib/bus';

/**
 * A checkpoint of any size as records of bounded size. A state whose gzipped
 * JSON fits in CHUNK_BYTES is one record under its key (gzipped JSON, as the
 * CheckpointStore reads it). A larger one becomes a header under its key,
 * {"chunked": n}, and n pieces under `<key>#<i>`, each gzipped JSON
 * {"piece": i, "data": base64 of bytes [i·CHUNK_BYTES, (i+1)·CHUNK_BYTES) of
 * the state's gzip}. All of them go in the same transaction as the offsets, so
 * a reader sees a whole checkpoint or the previous one; pieces a smaller
 * checkpoint no longer needs are tombstoned.
 *
 * A piece holds 512 KiB of gzip, about 700 KiB as a record: under Kafka's
 * default 1 MiB message limit with room for the record's overhead.
 */
export const CHUNK_BYTES = 512 * 1024;

export function chunkedMessages(topic: string, key: string, state: unknown, previousPieces: number): { messages: OutboundMessage[]; pieces: number; bytes: number } {
  const gz = gzipSync(Buffer.from(JSON.stringify(state)));
  const messages: OutboundMessage[] = [];
  let pieces = 0;
  if (gz.length <= CHUNK_BYTES) {
    messages.push({ topic, key, value: gz, partition: 0 });
  } else {
    pieces = Math.ceil(gz.length / CHUNK_BYTES);
    for (let i = 0; i < pieces; i++) {
      const data = gz.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES).toString('base64');
      messages.push({ topic, key: `${key}#${i}`, value: gzipSync(Buffer.from(JSON.stringify({ piece: i, data }))), partition: 0 });
    }
    messages.push({ topic, key, value: gzipSync(Buffer.from(JSON.stringify({ chunked: pieces }))), partition: 0 });
  }
  for (let i = pieces; i < previousPieces; i++) messages.push({ topic, key: `${key}#${i}`, value: null, partition: 0 });
  return { messages, pieces, bytes: gz.length };
}

/** The state under `key` from loaded checkpoints (decoded JSON per key), reassembling pieces; undefined when absent or incomplete. */
export function readChunked(states: ReadonlyMap<string, unknown>, key: string): { state: unknown; pieces: number } | undefined {
  const head = states.get(key);
  if (head === undefined) return undefined;
  const chunked = (head as { chunked?: unknown }).chunked;
  if (typeof chunked !== 'number') return { state: head, pieces: 0 };
  const parts: Buffer[] = [];
  for (let i = 0; i < chunked; i++) {
    const piece = states.get(`${key}#${i}`) as { piece?: number; data?: string } | undefined;
    if (!piece || piece.piece !== i || typeof piece.data !== 'string') return undefined;
    parts.push(Buffer.from(piece.data, 'base64'));
  }
  return { state: JSON.parse(gunzipSync(Buffer.concat(parts)).toString()) as unknown, pieces: chunked };
}
