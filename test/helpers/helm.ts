/**
 * The chart deploy/helm/roundhouse through the real helm CLI (built into the
 * stack cache by test/stack/helm.ts on first use): lint, template, and the
 * rendered objects parsed for assertions.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../scripts/kustomize/render';
import { ensureHelm } from '../stack/helm';
import { defaultCacheRoot } from '../stack/index';

export const CHART_DIR = path.resolve(__dirname, '..', '..', 'deploy', 'helm', 'roundhouse');
export const chartFile = (...parts: string[]): string => path.join(CHART_DIR, ...parts);

export interface HelmResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let binary: Promise<string> | undefined;

/** The helm binary; the first call may build it (minutes, progress on stderr). */
export function helmBinary(): Promise<string> {
  binary ??= ensureHelm({ cacheRoot: defaultCacheRoot() });
  return binary;
}

/** Runs helm with `args`; never rejects on a non-zero exit (the result says). */
export async function helm(args: readonly string[]): Promise<HelmResult> {
  const bin = await helmBinary();
  // No plugins, repositories or caches of the developer's own helm leak in.
  const home = path.join(defaultCacheRoot(), 'tools', 'helm-home');
  const env = { ...process.env, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') };
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface TemplateOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** Values files, relative to the chart (e.g. ci/all-on-values.yaml) or absolute. */
  readonly valuesFiles?: readonly string[];
  /** --set pairs, e.g. ['kafka.tls=true']. */
  readonly set?: readonly string[];
  /** --set-file pairs, e.g. ['catalog.content=/path/catalog.yaml']. */
  readonly setFile?: readonly string[];
  /** --kube-version, e.g. the test server's. */
  readonly kubeVersion?: string;
}

function templateArgs(opts: TemplateOptions): string[] {
  const args = ['template', opts.release ?? 'roundhouse', CHART_DIR, '--namespace', opts.namespace ?? 'roundhouse'];
  for (const file of opts.valuesFiles ?? []) args.push('--values', path.isAbsolute(file) ? file : chartFile(file));
  for (const pair of opts.set ?? []) args.push('--set', pair);
  for (const pair of opts.setFile ?? []) args.push('--set-file', pair);
  if (opts.kubeVersion) args.push('--kube-version', opts.kubeVersion);
  return args;
}

/** `helm template` as a result (for the tests of refused values). */
export function templateResult(opts: TemplateOptions = {}): Promise<HelmResult> {
  return helm(templateArgs(opts));
}

/** `helm template`'s objects; throws with helm's stderr when it fails or warns. */
export async function renderChart(opts: TemplateOptions = {}): Promise<KubeObject[]> {
  const result = await templateResult(opts);
  if (result.code !== 0) throw new Error(`helm ${templateArgs(opts).join(' ')} failed (exit ${String(result.code)}):\n${result.stderr}`);
  if (result.stderr.trim() !== '') throw new Error(`helm template wrote to stderr:\n${result.stderr}`);
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(result.stdout)) {
    // Includes duplicated keys, which a server's YAML decoder might resolve silently.
    if (doc.errors.length > 0) throw new Error(`helm template printed invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJSON() as KubeObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}
