import * as nodeModule from 'node:module';

/**
 * Loading @kubernetes/client-node 1.x, an ESM-only package, from our CommonJS build.
 *
 * Plain Node ≥ 20.19 can `require()` an ES module (no top-level await in its
 * graph), but Jest 30 on Node < 24.9 replaces `require` — and `createRequire`
 * and `process.getBuiltinModule('module')` — with its own registry, which refuses
 * ESM ("Must use import to load ES Module"). Node's own loader is still reachable
 * as `Module._load`, which Jest's Module shim copies from the real class; it
 * supports require(esm), so the same line works under node, tsx and Jest.
 *
 * Consequences: the package is loaded once per process, outside Jest's registry
 * (jest.mock cannot replace it; tests fake our JobsApi instead), and its objects
 * come from the host realm, so never test them with `instanceof` (Error, Date):
 * read fields (`code`, `body`) instead. Types are `import type`: erased at build.
 */
export type KubernetesClientModule = typeof import('@kubernetes/client-node');

type NodeLoader = (request: string, parent: unknown, isMain: boolean) => unknown;

let loaded: KubernetesClientModule | undefined;

export function loadKubernetesClient(): KubernetesClientModule {
  if (loaded) return loaded;
  const load = (nodeModule as unknown as { _load?: NodeLoader })._load;
  if (typeof load !== 'function') throw new Error('node:module has no _load: cannot load @kubernetes/client-node (ESM) from CommonJS');
  loaded = load(require.resolve('@kubernetes/client-node'), null, false) as KubernetesClientModule;
  return loaded;
}
