import { createHash } from 'node:crypto';

/**
 * The name suffix kustomize gives generated ConfigMaps (api/hasher/hasher.go):
 * sha256 of Go's json.Marshal of {data, kind, name} (keys sorted, `<>&` and
 * U+2028/U+2029 escaped as Go does), the first ten hex digits with 0,1,3,a,e
 * replaced so the suffix never reads as a word or a number.
 *
 * The name in that document is always "": kustomize v5 looks it up with
 * `yaml.Lookup("metadata/name")`, one field literally named "metadata/name",
 * finds none and hashes the empty string. Written from the algorithm with the
 * ConfigMap's name, this renderer's suffixes matched kustomize's old published
 * examples and no real v5 build (found by scripts/kustomize/real.test.ts).
 */

function goJson(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${goJson(key)}:${goJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

const SUBSTITUTE: Readonly<Record<string, string>> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };

export function configMapHash(_name: string, data: Readonly<Record<string, string>>): string {
  const hex = createHash('sha256').update(goJson({ kind: 'ConfigMap', name: '', data })).digest('hex');
  return [...hex.slice(0, 10)].map((c) => SUBSTITUTE[c] ?? c).join('');
}
