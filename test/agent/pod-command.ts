/**
 * What the test node agent runs for a pod: the first container's command, args
 * and environment, exactly as the pod spec says, with one translation so that a
 * command written for the image runs from a source checkout. Pure: the agent
 * (node-agent.ts) does the I/O.
 *
 * The translation rule (docs/testing.md):
 *   - argv = container.command ++ container.args, after Kubernetes' $(VAR)
 *     expansion against the container's environment. No command means "the
 *     image's entrypoint", which we cannot know without an image: refused.
 *   - argv[0] `node` (or any path ending in /node) runs the agent's own Node binary.
 *   - then, if the first argument that does not start with `-` is `dist/<p>.js`
 *     (or `./dist/<p>.js`), it becomes `<p>.ts` with `--import tsx` in front of
 *     it: the image runs the compiled build, the checkout runs the same source.
 *   - nothing else changes: other arguments, their order and the environment are
 *     the pod's. The process gets only PATH (to find binaries), HOME and HOSTNAME
 *     besides the pod's variables, never the test runner's environment.
 *   - downwardAPI volumes (fieldRef items: how the dispatcher hands a trainer its
 *     run spec) are written into the pod's directory, and an environment value
 *     under such a volume's mountPath points at that copy instead (there is no
 *     mount namespace to put it at the real path). Other volumes are ignored.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';

/** One file of a downwardAPI volume, as the kubelet would project it. */
export interface ProjectedFile {
  readonly volume: string;
  readonly mountPath: string;
  /** Relative to the mount. */
  readonly path: string;
  readonly content: string;
}

/** A pod the agent cannot run as specified (the reason becomes the container's termination reason). */
export const POD_SPEC_UNSUPPORTED = 'POD_SPEC_UNSUPPORTED';

export class PodSpecError extends Error {
  readonly code = POD_SPEC_UNSUPPORTED;
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface LocalCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** Whether the dist → source rule applied (reported in the agent's run record). */
  readonly translated: boolean;
}

export interface TranslateOptions {
  /** The checkout: cwd of every process, and where dist/<p>.js maps to <p>.ts. */
  readonly repoRoot: string;
  /** The Node binary that runs `node` commands (the agent's own: process.execPath). */
  readonly nodeBinary: string;
}

const DIST_SCRIPT = /^(?:\.\/)?dist\/(.+)\.js$/;

/**
 * Kubernetes' dependent-variable expansion (as in the kubelet's expansion
 * package): $(NAME) becomes NAME's value when NAME is defined, stays as written
 * when it is not; $$ is a literal $.
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '$' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close > i + 2) {
        const name = text.slice(i + 2, close);
        const value = vars.get(name);
        out += value ?? text.slice(i, close + 1);
        i = close;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** `metadata.labels['k']` / `metadata.annotations['k']` */
const MAP_FIELD = /^metadata\.(labels|annotations)\['([^']+)'\]$/;

function fieldValue(pod: V1Pod, fieldPath: string, hostIP: string): string | undefined {
  const map = MAP_FIELD.exec(fieldPath);
  if (map) return (map[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[map[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.podIP':
      return hostIP;
    default:
      return undefined;
  }
}

/** Secret name → its decoded data, as the agent read them from the pod's namespace (null: no such Secret). */
export type PodSecrets = ReadonlyMap<string, Readonly<Record<string, string>> | null>;

/** The Secrets the container's env names in secretKeyRef (the agent reads these before it starts the process). */
export function secretNames(container: V1Container): string[] {
  return [...new Set((container.env ?? []).flatMap((v) => (v.valueFrom?.secretKeyRef?.name ? [v.valueFrom.secretKeyRef.name] : [])))];
}

/** A secretKeyRef as the kubelet resolves it: a missing Secret or key fails the container, unless optional (then the variable is left out). */
function secretValue(variable: V1EnvVar, secrets: PodSecrets): string | undefined {
  const ref = variable.valueFrom!.secretKeyRef!;
  const data = secrets.get(ref.name ?? '');
  const value = data?.[ref.key];
  if (value !== undefined) return value;
  if (ref.optional === true) return undefined;
  throw new PodSpecError('CreateContainerConfigError', data ? `couldn't find key ${ref.key} in Secret ${ref.name}` : `secret "${ref.name}" not found`);
}

function envValue(variable: V1EnvVar, pod: V1Pod, vars: ReadonlyMap<string, string>, hostIP: string, secrets: PodSecrets): string | undefined {
  if (variable.valueFrom === undefined) return expandVars(variable.value ?? '', vars);
  if (variable.valueFrom.secretKeyRef !== undefined) return secretValue(variable, secrets);
  const fieldPath = variable.valueFrom.fieldRef?.fieldPath;
  const value = fieldPath === undefined ? undefined : fieldValue(pod, fieldPath, hostIP);
  if (value === undefined) {
    const kind = fieldPath !== undefined ? `fieldRef ${fieldPath}` : Object.keys(variable.valueFrom).join(', ');
    throw new PodSpecError('CreateContainerConfigError', `env ${variable.name}: valueFrom ${kind} is not supported by the test node agent (plain values, fieldRef and secretKeyRef only)`);
  }
  return value;
}

/**
 * The container's environment in pod-spec order, later entries seeing earlier
 * ones in $(VAR) references. secretKeyRef takes its value from `secrets` (read
 * by the agent, as a kubelet would); ConfigMaps and envFrom are refused.
 */
export function containerEnv(pod: V1Pod, container: V1Container, hostIP = '127.0.0.1', secrets: PodSecrets = new Map()): Map<string, string> {
  if ((container.envFrom ?? []).length > 0) {
    throw new PodSpecError('CreateContainerConfigError', 'envFrom is not supported by the test node agent (plain values, fieldRef and secretKeyRef only)');
  }
  const vars = new Map<string, string>();
  for (const variable of container.env ?? []) {
    const value = envValue(variable, pod, vars, hostIP, secrets);
    if (value !== undefined) vars.set(variable.name, value);
  }
  return vars;
}

/** The files of the container's downwardAPI volumes; only fieldRef items (resourceFieldRef is refused). */
export function downwardApiFiles(pod: V1Pod, container: V1Container, hostIP = '127.0.0.1'): ProjectedFile[] {
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const files: ProjectedFile[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const items = volumes.get(mount.name)?.downwardAPI?.items;
    if (!items) continue;
    for (const item of items) {
      const fieldPath = item.fieldRef?.fieldPath;
      const content = fieldPath === undefined ? undefined : fieldValue(pod, fieldPath, hostIP);
      if (content === undefined || item.path.split('/').includes('..')) {
        throw new PodSpecError('CreateContainerConfigError', `volume ${mount.name}: item ${item.path} is not supported by the test node agent (fieldRef items only)`);
      }
      files.push({ volume: mount.name, mountPath: mount.mountPath, path: item.path, content });
    }
  }
  return files;
}

/** Environment values at or under a projected mountPath, pointed at the local copy (`localDirs`: mountPath → directory). */
export function relocateEnv(vars: ReadonlyMap<string, string>, localDirs: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map(vars);
  for (const [name, value] of vars) {
    for (const [mountPath, dir] of localDirs) {
      const prefix = mountPath.replace(/\/+$/, '');
      if (value === prefix || value.startsWith(`${prefix}/`)) out.set(name, `${dir}${value.slice(prefix.length)}`);
    }
  }
  return out;
}

/** The local process for a container command (see the rule at the top of this file). */
export function localCommand(command: readonly string[], args: readonly string[], vars: ReadonlyMap<string, string>, options: TranslateOptions): LocalCommand {
  const argv = [...command, ...args].map((part) => expandVars(part, vars));
  if (command.length === 0 || argv.length === 0) {
    throw new PodSpecError('CreateContainerError', "the container has no command: without an image, the agent cannot know the image's entrypoint");
  }
  const [first, ...rest] = argv as [string, ...string[]];
  if (first !== 'node' && !first.endsWith('/node')) return { file: first, args: rest, translated: false };
  const script = rest.findIndex((arg) => !arg.startsWith('-'));
  const match = script >= 0 ? DIST_SCRIPT.exec(rest[script]!) : null;
  if (!match) return { file: options.nodeBinary, args: rest, translated: false };
  const source = `${match[1]!}.ts`;
  if (!existsSync(path.join(options.repoRoot, source))) {
    throw new PodSpecError('CreateContainerError', `${rest[script]!}: no source ${source} in ${options.repoRoot} to run it from`);
  }
  return { file: options.nodeBinary, args: [...rest.slice(0, script), '--import', 'tsx', source, ...rest.slice(script + 1)], translated: true };
}

/** The process environment: the pod's variables over PATH, HOME and HOSTNAME (nothing from the test runner). */
export function processEnv(vars: ReadonlyMap<string, string>, base: { path: string; home: string; hostname: string }): Record<string, string> {
  return { PATH: base.path, HOME: base.home, HOSTNAME: base.hostname, ...Object.fromEntries(vars) };
}
