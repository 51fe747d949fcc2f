import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { configMapHash } from './hash';
import { clone, isObject, mergeObject, type Json, type JsonObject } from './merge';

/**
 * A minimal, dependency-free `kustomize build` for the features k8s/ uses, so
 * tests can render the manifests without a kustomize binary (none is reachable
 * offline). Anything else in a kustomization is an error, never ignored:
 *   resources (files, and directories holding a kustomization), namespace,
 *   labels (pairs; includeTemplates; never selectors), configMapGenerator
 *   (files, literals; behavior create|merge|replace; options), generatorOptions,
 *   patches (strategic merge, by path, the target named by the patch itself),
 *   images (newName, newTag, digest).
 * Like kustomize it refuses data files outside the kustomization's directory,
 * suffixes generated ConfigMaps with a content hash and rewrites the pod-spec
 * references to them, moves RoleBinding subjects with the ServiceAccounts
 * they name (its name-reference transformer) and renames Namespace objects to
 * the namespace it sets. scripts/kustomize/real.test.ts holds its output to
 * real kustomize's (the pinned one of scripts/kustomize-v5) for every
 * kustomization under k8s/.
 */

export type KubeObject = JsonObject & { apiVersion: string; kind: string; metadata: JsonObject & { name: string } };

interface Resource {
  obj: KubeObject;
  /** Set for generator output: the name before the hash suffix, and whether to add one. */
  generated: { readonly hash: boolean } | null;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'configMapGenerator', 'generatorOptions', 'patches', 'images']);
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Kinds without a namespace (the ones a Roundhouse deployment could meet). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
]);

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

export class KustomizeError extends Error {}

function fail(dir: string, message: string): never {
  throw new KustomizeError(`${dir}: ${message}`);
}

function asObject(value: Json | undefined, what: string, dir: string): JsonObject {
  if (!isObject(value)) fail(dir, `${what} must be a mapping`);
  return value;
}

function asStrings(value: Json | undefined, what: string, dir: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail(dir, `${what} must be a list of strings`);
  return value as string[];
}

function stringMap(value: Json | undefined, what: string, dir: string): Record<string, string> {
  if (value === undefined) return {};
  const obj = asObject(value, what, dir);
  for (const [key, v] of Object.entries(obj)) if (typeof v !== 'string') fail(dir, `${what}.${key} must be a string (quote it)`);
  return obj as Record<string, string>;
}

/** kustomize's load restriction (LoadRestrictionsRootOnly): data files stay in or below the kustomization. */
function fileWithin(dir: string, relative: string): string {
  const file = path.resolve(dir, relative);
  if (file !== dir && !file.startsWith(`${dir}${path.sep}`)) fail(dir, `security: file '${relative}' is not in or below the kustomization directory`);
  if (!existsSync(file)) fail(dir, `no such file: ${relative}`);
  return file;
}

function kubeObjects(file: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (doc.errors.length > 0) throw new KustomizeError(`${file}: ${doc.errors[0]!.message}`);
    const value = doc.toJSON() as Json;
    if (value === null) continue;
    if (!isObject(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string' || !isObject(value.metadata) || typeof value.metadata.name !== 'string') {
      throw new KustomizeError(`${file}: every document needs apiVersion, kind and metadata.name`);
    }
    objects.push(value as KubeObject);
  }
  return objects;
}

const idOf = (obj: KubeObject): string => `${obj.apiVersion.split('/').length > 1 ? obj.apiVersion.split('/')[0] : ''}/${obj.kind}/${String(obj.metadata.namespace ?? '')}/${obj.metadata.name}`;

function loadKustomization(dir: string): JsonObject {
  const file = KUSTOMIZATION_FILES.map((name) => path.join(dir, name)).find((candidate) => existsSync(candidate));
  if (!file) fail(dir, 'no kustomization.yaml');
  const k = asObject(parseYaml(readFileSync(file, 'utf8')) as Json, 'the kustomization', dir);
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length > 0) fail(dir, `unsupported kustomization field(s): ${unsupported.join(', ')} (scripts/kustomize/render.ts knows ${[...SUPPORTED].join(', ')})`);
  return k;
}

function generateConfigMaps(dir: string, k: JsonObject, resources: Resource[]): void {
  const globalOptions = k.generatorOptions === undefined ? {} : asObject(k.generatorOptions, 'generatorOptions', dir);
  for (const raw of (k.configMapGenerator as Json[] | undefined) ?? []) {
    const g = asObject(raw, 'a configMapGenerator entry', dir);
    const name = g.name;
    if (typeof name !== 'string') fail(dir, 'configMapGenerator entry without a name');
    const data: Record<string, string> = {};
    for (const source of asStrings(g.files, `configMapGenerator ${name}.files`, dir)) {
      const [key, file] = source.includes('=') ? [source.slice(0, source.indexOf('=')), source.slice(source.indexOf('=') + 1)] : [path.basename(source), source];
      if (key in data) fail(dir, `configMapGenerator ${name}: duplicate key ${key}`);
      data[key] = readFileSync(fileWithin(dir, file), 'utf8');
    }
    for (const literal of asStrings(g.literals, `configMapGenerator ${name}.literals`, dir)) {
      const at = literal.indexOf('=');
      if (at <= 0) fail(dir, `configMapGenerator ${name}: literal ${JSON.stringify(literal)} is not KEY=value`);
      data[literal.slice(0, at)] = literal.slice(at + 1);
    }
    const options = { ...globalOptions, ...(g.options === undefined ? {} : asObject(g.options, `configMapGenerator ${name}.options`, dir)) };
    const labels = { ...stringMap(globalOptions.labels, 'generatorOptions.labels', dir), ...stringMap(isObject(g.options) ? g.options.labels : undefined, 'options.labels', dir) };
    const annotations = { ...stringMap(globalOptions.annotations, 'generatorOptions.annotations', dir), ...stringMap(isObject(g.options) ? g.options.annotations : undefined, 'options.annotations', dir) };
    const behavior = g.behavior ?? 'create';
    const existing = resources.find((r) => r.obj.kind === 'ConfigMap' && r.obj.metadata.name === name && r.generated !== null);
    if (behavior === 'create') {
      if (existing) fail(dir, `configMapGenerator ${name}: already generated by a base (use behavior: merge or replace)`);
      const metadata: KubeObject['metadata'] = { name };
      if (Object.keys(labels).length > 0) metadata.labels = labels;
      if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
      resources.push({ obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata, data }, generated: { hash: options.disableNameSuffixHash !== true } });
    } else if (behavior === 'merge' || behavior === 'replace') {
      if (!existing) fail(dir, `configMapGenerator ${name}: behavior ${String(behavior)} needs a ConfigMap generated by a base`);
      existing.obj.data = behavior === 'merge' ? { ...(existing.obj.data as JsonObject), ...data } : data;
      existing.obj.metadata.labels = { ...((existing.obj.metadata.labels as JsonObject | undefined) ?? {}), ...labels };
      if (Object.keys(annotations).length > 0) existing.obj.metadata.annotations = { ...((existing.obj.metadata.annotations as JsonObject | undefined) ?? {}), ...annotations };
      if (options.disableNameSuffixHash === true) existing.generated = { hash: false };
    } else fail(dir, `configMapGenerator ${name}: unknown behavior ${String(behavior)}`);
  }
}

function applyPatches(dir: string, k: JsonObject, resources: Resource[]): void {
  for (const raw of (k.patches as Json[] | undefined) ?? []) {
    const entry = asObject(raw, 'a patches entry', dir);
    const extra = Object.keys(entry).filter((key) => key !== 'path');
    if (typeof entry.path !== 'string' || extra.length > 0) fail(dir, `patches: only { path: <strategic merge patch file> } is supported (got ${Object.keys(entry).join(', ')})`);
    for (const patch of kubeObjects(fileWithin(dir, entry.path))) {
      const targets = resources.filter((r) => r.obj.kind === patch.kind && r.obj.apiVersion === patch.apiVersion && r.obj.metadata.name === patch.metadata.name);
      if (targets.length !== 1) fail(dir, `patch ${entry.path} names ${patch.kind} ${patch.metadata.name}: ${targets.length} resources match`);
      const target = targets[0]!;
      const { metadata: patchMeta, ...rest } = patch;
      const { name: _name, namespace: _namespace, ...metaRest } = patchMeta;
      target.obj = mergeObject(target.obj, { ...rest, metadata: metaRest }) as KubeObject;
    }
  }
}

function setNamespace(resources: Resource[], namespace: string): void {
  // RoleBinding subjects follow the ServiceAccounts of this build they name (kustomize's nameReference).
  const accounts = new Map(resources.filter((r) => r.obj.kind === 'ServiceAccount').map((r) => [`${String(r.obj.metadata.namespace ?? '')}/${r.obj.metadata.name}`, r]));
  for (const r of resources) {
    if (r.obj.kind !== 'RoleBinding' && r.obj.kind !== 'ClusterRoleBinding') continue;
    for (const subject of (r.obj.subjects as JsonObject[] | undefined) ?? []) {
      if (subject.kind !== 'ServiceAccount') continue;
      const named = accounts.get(`${String(subject.namespace ?? '')}/${String(subject.name)}`) ?? accounts.get(`/${String(subject.name)}`);
      if (named) subject.namespace = namespace;
    }
  }
  for (const r of resources) if (!CLUSTER_SCOPED.has(r.obj.kind)) r.obj.metadata.namespace = namespace;
  // kustomize renames the Namespace objects of the build to the namespace it sets (k8s/policy/namespace.yaml).
  for (const r of resources) if (r.obj.kind === 'Namespace' && r.obj.apiVersion === 'v1') r.obj.metadata.name = namespace;
}

function podTemplates(obj: KubeObject): JsonObject[] {
  if (obj.kind === 'Pod') return [obj];
  if (WORKLOADS.has(obj.kind) && isObject(obj.spec) && isObject(obj.spec.template)) return [obj.spec.template];
  if (obj.kind === 'CronJob' && isObject(obj.spec) && isObject(obj.spec.jobTemplate) && isObject(obj.spec.jobTemplate.spec) && isObject(obj.spec.jobTemplate.spec.template)) {
    return [obj.spec.jobTemplate.spec.template];
  }
  return [];
}

function addLabels(dir: string, k: JsonObject, resources: Resource[]): void {
  for (const raw of (k.labels as Json[] | undefined) ?? []) {
    const entry = asObject(raw, 'a labels entry', dir);
    if (entry.includeSelectors === true) fail(dir, 'labels: includeSelectors is not supported (selectors are immutable; write them by hand)');
    const pairs = stringMap(entry.pairs, 'labels[].pairs', dir);
    for (const r of resources) {
      r.obj.metadata.labels = { ...((r.obj.metadata.labels as JsonObject | undefined) ?? {}), ...pairs };
      if (entry.includeTemplates !== true) continue;
      for (const template of podTemplates(r.obj)) {
        const metadata = (template.metadata ??= {}) as JsonObject;
        metadata.labels = { ...((metadata.labels as JsonObject | undefined) ?? {}), ...pairs };
      }
    }
  }
}

function containersOf(template: JsonObject): JsonObject[] {
  const spec = isObject(template.spec) ? template.spec : {};
  return [...((spec.initContainers as JsonObject[] | undefined) ?? []), ...((spec.containers as JsonObject[] | undefined) ?? [])];
}

function setImages(dir: string, k: JsonObject, resources: Resource[]): void {
  for (const raw of (k.images as Json[] | undefined) ?? []) {
    const entry = asObject(raw, 'an images entry', dir);
    if (typeof entry.name !== 'string') fail(dir, 'images entry without a name');
    for (const r of resources) {
      for (const container of podTemplates(r.obj).flatMap(containersOf)) {
        const image = String(container.image ?? '');
        const match = /^(.*?)(?::([^:/@]+))?(?:@(.+))?$/.exec(image)!;
        if (match[1] !== entry.name) continue;
        const name = typeof entry.newName === 'string' ? entry.newName : match[1]!;
        if (typeof entry.digest === 'string') container.image = `${name}@${entry.digest}`;
        else container.image = `${name}${typeof entry.newTag === 'string' ? `:${entry.newTag}` : match[2] ? `:${match[2]}` : ''}${match[3] ? `@${match[3]}` : ''}`;
      }
    }
  }
}

function build(dir: string, trail: readonly string[]): Resource[] {
  if (trail.includes(dir)) throw new KustomizeError(`cycle: ${[...trail, dir].join(' -> ')}`);
  const k = loadKustomization(dir);
  const resources: Resource[] = [];
  for (const entry of asStrings(k.resources, 'resources', dir)) {
    const target = path.resolve(dir, entry);
    if (existsSync(target) && statSync(target).isDirectory()) resources.push(...build(target, [...trail, dir]));
    else resources.push(...kubeObjects(fileWithin(dir, entry)).map((obj) => ({ obj, generated: null })));
  }
  generateConfigMaps(dir, k, resources);
  applyPatches(dir, k, resources);
  if (k.namespace !== undefined) {
    if (typeof k.namespace !== 'string') fail(dir, 'namespace must be a string');
    setNamespace(resources, k.namespace);
  }
  addLabels(dir, k, resources);
  setImages(dir, k, resources);
  return resources;
}

/** Pod-spec fields that name a ConfigMap, rewritten when generated names gain their hash. */
function renameConfigMapRefs(template: JsonObject, renamed: ReadonlyMap<string, string>): void {
  const rename = (holder: Json | undefined): void => {
    if (isObject(holder) && typeof holder.name === 'string' && renamed.has(holder.name)) holder.name = renamed.get(holder.name)!;
  };
  const spec = isObject(template.spec) ? template.spec : {};
  for (const volume of (spec.volumes as JsonObject[] | undefined) ?? []) {
    rename(volume.configMap);
    if (isObject(volume.projected)) for (const source of (volume.projected.sources as JsonObject[] | undefined) ?? []) rename(source.configMap);
  }
  for (const container of containersOf(template)) {
    for (const from of (container.envFrom as JsonObject[] | undefined) ?? []) rename(from.configMapRef);
    for (const variable of (container.env as JsonObject[] | undefined) ?? []) if (isObject(variable.valueFrom)) rename(variable.valueFrom.configMapKeyRef);
  }
}

function finalize(resources: Resource[]): KubeObject[] {
  const renamedByNamespace = new Map<string, Map<string, string>>();
  for (const r of resources) {
    if (!r.generated?.hash) continue;
    const name = r.obj.metadata.name;
    const hashed = `${name}-${configMapHash(name, r.obj.data as Record<string, string>)}`;
    const namespace = String(r.obj.metadata.namespace ?? '');
    if (!renamedByNamespace.has(namespace)) renamedByNamespace.set(namespace, new Map());
    renamedByNamespace.get(namespace)!.set(name, hashed);
    r.obj.metadata.name = hashed;
  }
  for (const r of resources) {
    const renamed = renamedByNamespace.get(String(r.obj.metadata.namespace ?? ''));
    if (renamed) for (const template of podTemplates(r.obj)) renameConfigMapRefs(template, renamed);
  }
  const seen = new Set<string>();
  for (const r of resources) {
    const id = idOf(r.obj);
    if (seen.has(id)) throw new KustomizeError(`duplicate resource ${id}`);
    seen.add(id);
  }
  return resources.map((r) => clone(r.obj));
}

export interface RenderOptions {
  /** A namespace set over everything after the build (tests render into a random one). */
  readonly namespace?: string;
}

/** `kustomize build <dir>` for the supported features; objects in the order they were declared. */
export function renderKustomization(dir: string, options: RenderOptions = {}): KubeObject[] {
  const root = path.resolve(dir);
  const resources = build(root, []);
  if (options.namespace !== undefined) setNamespace(resources, options.namespace);
  return finalize(resources);
}
