/**
 * Reading rendered manifests (helm template, scripts/kustomize/render.ts) and
 * the server's answers: small typed accessors over plain JSON.
 */
import type { KubeObject } from '../../scripts/kustomize/render';

export type Obj = Record<string, unknown>;

export const field = (value: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], value);
export const list = (value: unknown): Obj[] => (Array.isArray(value) ? (value as Obj[]) : []);

/** The object of that kind and name; throws naming what is there instead. */
export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

export const ofKind = (objects: readonly KubeObject[], kind: string): KubeObject[] => objects.filter((o) => o.kind === kind);

/** { Deployment: 3, … } */
export function kindCounts(objects: readonly KubeObject[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return counts;
}

export const podSpec = (workload: unknown): Obj => field(workload, 'spec', 'template', 'spec') as Obj;
export const containersOf = (workload: unknown): Obj[] => [...list(podSpec(workload).initContainers), ...list(podSpec(workload).containers)];

export interface EffectiveEnv {
  /** Names a container sees: its env entries and the keys of the ConfigMaps it takes envFrom. */
  readonly names: string[];
  /** Secrets taken whole through envFrom (their keys are unknown here). */
  readonly secretsFrom: string[];
}

/** What a container's environment holds, resolving envFrom ConfigMaps among `objects` (missing optional ones count as empty). */
export function effectiveEnv(objects: readonly KubeObject[], container: Obj): EffectiveEnv {
  const names = new Set(list(container.env).map((e) => String(e.name)));
  const secretsFrom: string[] = [];
  for (const from of list(container.envFrom)) {
    const configMap = field(from, 'configMapRef', 'name');
    const secret = field(from, 'secretRef', 'name');
    if (typeof secret === 'string') secretsFrom.push(secret);
    if (typeof configMap !== 'string') continue;
    const source = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === configMap);
    if (!source && field(from, 'configMapRef', 'optional') !== true) throw new Error(`envFrom names ConfigMap ${configMap}, which is not rendered`);
    for (const key of Object.keys((source?.data as Obj | undefined) ?? {})) names.add(`${String(from.prefix ?? '')}${key}`);
  }
  return { names: [...names].sort(), secretsFrom };
}

/** Every env entry of every container of every workload: [where, entry]. */
export function allEnvEntries(objects: readonly KubeObject[]): [string, Obj][] {
  return objects
    .filter((o) => field(o, 'spec', 'template', 'spec') !== undefined)
    .flatMap((o) => containersOf(o).flatMap((c) => list(c.env).map((e): [string, Obj] => [`${o.kind}/${o.metadata.name} ${String(c.name)}`, e])));
}
