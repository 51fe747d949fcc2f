import type { IHeaders } from 'kafkajs';
import type { Headers } from '../bus/types';

/** kafkajs headers (Buffer, string, or arrays of them) as our string headers; the first value wins. */
export function toHeaders(headers: IHeaders | undefined): Headers {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}
