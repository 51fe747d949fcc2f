/**
 * A test-only node agent: a Node of its own on the test stack's API server whose
 * pods run as local processes. There is no container runtime here, so for each
 * pod the scheduler binds to this node the agent runs the first container's
 * command, args and environment (pod-command.ts: exactly what the pod says, bar
 * the documented dist → source translation), writes the pod status a kubelet
 * would (Running, then Succeeded/Failed with the container's exit code), and kills
 * the process when the pod is deleted. The Job controller, podFailurePolicy and
 * the dispatcher then see a real pod lifecycle. See docs/testing.md.
 *
 * Not a kubelet: one container per pod (the first), no init containers, volumes
 * (but downwardAPI ones, copied into the pod's directory: pod-command.ts),
 * probes, resource limits, image pulls or restarts (every pod is restartPolicy
 * Never to it); ConfigMaps are not read, Secrets only for env secretKeyRef.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import { apiStatus, k8s } from '../helpers/kubernetes';
import { POD_SPEC_UNSUPPORTED, containerEnv, downwardApiFiles, type PodSecrets, type PodSpecError, localCommand, processEnv, relocateEnv, secretNames, type ProjectedFile } from './pod-command';
import { registerNode, type Registration } from './node-registration';
import { DEFAULT_CAPACITY, refusedStatus, runningStatus, terminatedStatus, type Ended, type Started } from './pod-status';

export const AGENT_LABEL_KEY = 'roundhouse.dev/e2e-node';

export interface NodeAgentOptions {
  /** An identity that may register nodes and write pod status (the stack's admin). */
  readonly kubeConfig: K8s.KubeConfig;
  /** The checkout: cwd of every process; dist/<p>.js maps to <p>.ts here. */
  readonly repoRoot: string;
  /** Per-pod HOME and container.log go under it. */
  readonly workDir: string;
  /** Default `roundhouse-e2e-<random>`. */
  readonly name?: string;
  readonly capacity?: Readonly<Record<string, string>>;
  /** Lease renewal period (default 5 s; the node's conditions every 4th beat). */
  readonly heartbeatMs?: number;
  /** Full relist of the node's pods besides the watch (default 5 s). */
  readonly resyncMs?: number;
  /** Longest wait between SIGTERM and SIGKILL, whatever the pod's grace period (default 10 s). */
  readonly maxKillGraceMs?: number;
  readonly log?: (line: string) => void;
}

/** One pod the agent ran (or refused), for assertions and failure reports. */
export interface PodRun {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly file: string;
  readonly args: readonly string[];
  readonly translated: boolean;
  /** Names of the environment variables the pod gave its container. */
  readonly envNames: readonly string[];
  readonly logFile: string | null;
  readonly startedAt: Date;
  /** Why the agent did not start it (unsupported spec, spawn failure); null when it ran. */
  refused: string | null;
  exit: { readonly exitCode: number | null; readonly signal: NodeJS.Signals | null; readonly finishedAt: Date } | null;
}

interface Tracked {
  run: PodRun | null;
  child: ChildProcess | null;
  started: Started | null;
  /** Status writes in order (Running before Succeeded, however fast the process). */
  writes: Promise<void>;
  exited: Promise<void>;
  deleting: boolean;
  killTimer: NodeJS.Timeout | null;
}

const HOST_IP = '127.0.0.1';
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class NodeAgent {
  private readonly core: K8s.CoreV1Api;
  private readonly tracked = new Map<string, Tracked>();
  private readonly records: PodRun[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private watchAbort: AbortController | undefined;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly log: (line: string) => void;
  private readonly killAllNow = (): void => {
    for (const t of this.tracked.values()) if (t.child?.pid !== undefined && t.child.exitCode === null && t.child.signalCode === null) killGroup(t.child.pid, 'SIGKILL');
  };

  private constructor(
    private readonly options: NodeAgentOptions,
    readonly name: string,
    private readonly registration: Registration,
  ) {
    this.core = options.kubeConfig.makeApiClient(k8s().CoreV1Api);
    this.log = options.log ?? (() => undefined);
  }

  /** Registers the node, waits until the scheduler may use it, then runs the pods bound to it. */
  static async start(options: NodeAgentOptions): Promise<NodeAgent> {
    const name = options.name ?? `roundhouse-e2e-${randomUUID().slice(0, 8)}`;
    const registration = await registerNode(options.kubeConfig, { name, labelKey: AGENT_LABEL_KEY, hostIP: HOST_IP, capacity: options.capacity ?? DEFAULT_CAPACITY }, { statusEvery: 4, readyTimeoutMs: 60_000 });
    const agent = new NodeAgent(options, name, registration);
    agent.begin();
    return agent;
  }

  /** nodeSelector and toleration that put a pod on this node (the node is tainted for everything else). */
  get placement(): { nodeSelector: Record<string, string>; tolerations: { key: string; operator: 'Equal'; value: string; effect: 'NoSchedule' }[] } {
    return { nodeSelector: { [AGENT_LABEL_KEY]: this.name }, tolerations: [{ key: AGENT_LABEL_KEY, operator: 'Equal', value: this.name, effect: 'NoSchedule' }] };
  }

  runs(): readonly PodRun[] {
    return [...this.records];
  }

  /** What a run's process wrote (stdout and stderr), '' when nothing. */
  output(run: PodRun): string {
    if (run.logFile === null) return '';
    try {
      return readFileSync(run.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Kills every process (SIGTERM, then SIGKILL), deletes the node's pods, its Lease and the Node. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.watchAbort?.abort();
    const running = [...this.tracked.values()].filter((t) => t.child !== null && t.child.exitCode === null && t.child.signalCode === null);
    for (const t of running) this.kill(t, 5_000);
    await Promise.all(running.map((t) => t.exited));
    await Promise.all([...this.tracked.values()].map((t) => t.writes));
    await this.loop.catch(() => undefined);
    try {
      const pods = await this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${this.name}` });
      await Promise.all(pods.items.map((pod) => this.forceDelete(pod).catch(() => undefined)));
    } catch (error) {
      this.log(`stop: listing pods failed: ${String(error)}`);
    }
    await this.registration.remove();
    process.removeListener('exit', this.killAllNow);
    this.log(`node ${this.name} removed`);
  }

  private begin(): void {
    // Last resort if the test process exits without stop(): no process outlives it.
    process.on('exit', this.killAllNow);
    const heartbeatMs = this.options.heartbeatMs ?? 5_000;
    this.timers.push(setInterval(() => void this.registration.heartbeat().catch((error: unknown) => this.log(`heartbeat failed: ${String(error)}`)), heartbeatMs));
    this.timers.push(setInterval(() => void this.relist().catch((error: unknown) => this.log(`relist failed: ${String(error)}`)), this.options.resyncMs ?? 5_000));
    this.loop = this.watchLoop();
  }

  private get fieldSelector(): string {
    return `spec.nodeName=${this.name}`;
  }

  /** List, then watch from the list's version; on any end of the watch, again (an informer's loop, minus the cache). */
  private async watchLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        const version = await this.relist();
        await new Promise<void>((resolve) => {
          const watch = new (k8s().Watch)(this.options.kubeConfig);
          watch
            .watch(
              '/api/v1/pods',
              { fieldSelector: this.fieldSelector, resourceVersion: version, allowWatchBookmarks: true },
              (phase: string, pod: K8s.V1Pod) => {
                if (phase === 'ADDED' || phase === 'MODIFIED') this.observe(pod);
                else if (phase === 'DELETED') this.gone(pod);
              },
              () => resolve(),
            )
            .then(
              (abort) => {
                this.watchAbort = abort;
                if (this.stopped) abort.abort();
              },
              () => resolve(),
            );
        });
      } catch (error) {
        this.log(`watch failed: ${String(error)}`);
      }
      // A controller's backoff between relists, not a test wait.
      if (!this.stopped) await delay(500);
    }
  }

  private async relist(): Promise<string | undefined> {
    if (this.stopped) return undefined;
    const list = await this.core.listPodForAllNamespaces({ fieldSelector: this.fieldSelector });
    const present = new Set<string>();
    for (const pod of list.items) {
      present.add(pod.metadata?.uid ?? '');
      this.observe(pod);
    }
    for (const [uid, t] of this.tracked) if (!present.has(uid) && t.child !== null && t.child.exitCode === null && t.child.signalCode === null) this.kill(t, 0);
    return list.metadata?.resourceVersion;
  }

  private observe(pod: K8s.V1Pod): void {
    const uid = pod.metadata?.uid;
    if (this.stopped || !uid || pod.spec?.nodeName !== this.name) return;
    const known = this.tracked.get(uid);
    if (pod.metadata?.deletionTimestamp) {
      this.terminate(uid, known, pod);
      return;
    }
    if (known) return;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      this.tracked.set(uid, this.entry());
      return;
    }
    this.launch(uid, pod);
  }

  private gone(pod: K8s.V1Pod): void {
    const t = this.tracked.get(pod.metadata?.uid ?? '');
    if (t && t.child !== null && t.child.exitCode === null && t.child.signalCode === null) this.kill(t, 0);
  }

  private entry(): Tracked {
    return { run: null, child: null, started: null, writes: Promise.resolve(), exited: Promise.resolve(), deleting: false, killTimer: null };
  }

  private launch(uid: string, pod: K8s.V1Pod): void {
    const t = this.entry();
    this.tracked.set(uid, t);
    const names = secretNames(pod.spec!.containers[0]!);
    if (names.length === 0) {
      this.run(t, uid, pod, new Map());
      return;
    }
    // Secrets first, as a kubelet reads them before it creates the container; a deletion meanwhile wins.
    t.writes = t.writes.then(async () => {
      const secrets = await this.readSecrets(pod.metadata!.namespace!, names);
      if (!this.stopped && !t.deleting) this.run(t, uid, pod, secrets);
    });
  }

  private async readSecrets(namespace: string, names: readonly string[]): Promise<PodSecrets> {
    const secrets = new Map<string, Record<string, string> | null>();
    for (const name of names) {
      try {
        const secret = await this.core.readNamespacedSecret({ name, namespace });
        const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
        secrets.set(name, { ...data, ...(secret.stringData ?? {}) });
      } catch (error) {
        if (apiStatus(error) !== 404) this.log(`${namespace}: reading Secret ${name} failed: ${String(error)}`);
        secrets.set(name, null);
      }
    }
    return secrets;
  }

  private run(t: Tracked, uid: string, pod: K8s.V1Pod, secrets: PodSecrets): void {
    const namespace = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const container = pod.spec!.containers[0]!;
    const base = { namespace, name, uid, labels: { ...(pod.metadata?.labels ?? {}) }, startedAt: new Date() };
    let vars: Map<string, string>;
    let command: ReturnType<typeof localCommand>;
    let projected: ProjectedFile[];
    const dir = path.join(this.options.workDir, `${namespace}_${name}_${uid.slice(0, 8)}`);
    try {
      projected = downwardApiFiles(pod, container, HOST_IP);
      const localDirs = new Map(projected.map((f) => [f.mountPath, path.join(dir, 'volumes', f.volume)]));
      vars = relocateEnv(containerEnv(pod, container, HOST_IP, secrets), localDirs);
      command = localCommand(container.command ?? [], container.args ?? [], vars, { repoRoot: this.options.repoRoot, nodeBinary: process.execPath });
    } catch (error) {
      const reason = (error as { code?: unknown }).code === POD_SPEC_UNSUPPORTED ? (error as PodSpecError).reason : 'CreateContainerError';
      const message = error instanceof Error ? error.message : String(error);
      this.refuse(t, { ...base, file: '', args: [], translated: false, envNames: [], logFile: null, refused: message, exit: null }, reason);
      return;
    }
    mkdirSync(dir, { recursive: true });
    for (const file of projected) {
      const target = path.join(dir, 'volumes', file.volume, file.path);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
    const logFile = path.join(dir, 'container.log');
    const run: PodRun = { ...base, file: command.file, args: command.args, translated: command.translated, envNames: [...vars.keys()], logFile, refused: null, exit: null };
    t.run = run;
    this.records.push(run);
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      // Its own process group, so a kill reaches whatever it starts too.
      child = spawn(command.file, [...command.args], {
        cwd: this.options.repoRoot,
        env: processEnv(vars, { path: process.env.PATH ?? '/usr/bin:/bin', home: dir, hostname: name }),
        stdio: ['ignore', fd, fd],
        detached: true,
      });
    } finally {
      closeSync(fd);
    }
    t.child = child;
    this.log(`${namespace}/${name}: ${command.file} ${command.args.join(' ')}${command.translated ? ' (dist → source)' : ''}`);
    t.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        // Nothing started (e.g. ENOENT): the kubelet's StartError.
        if (t.started === null) {
          this.refuse(t, run, 'StartError', error.message);
          resolve();
        }
      });
      child.once('spawn', () => {
        t.started = { startedAt: new Date(), pid: child.pid!, hostIP: HOST_IP };
        const started = t.started;
        this.write(t, namespace, name, uid, (current) => runningStatus(current, started));
      });
      child.once('exit', (exitCode, signal) => {
        if (t.killTimer) clearTimeout(t.killTimer);
        const ended: Ended = { finishedAt: new Date(), exitCode, signal };
        run.exit = ended;
        this.log(`${namespace}/${name}: exited ${signal ?? exitCode}`);
        const started = t.started ?? { startedAt: run.startedAt, pid: child.pid ?? 0, hostIP: HOST_IP };
        this.write(t, namespace, name, uid, (current) => terminatedStatus(current, started, ended));
        if (t.deleting) t.writes = t.writes.then(() => this.forceDeleteByName(namespace, name, uid));
        resolve();
      });
    });
  }

  private refuse(t: Tracked, run: PodRun, reason: string, message = run.refused ?? reason): void {
    run.refused = message;
    if (!this.records.includes(run)) this.records.push(run);
    t.run = run;
    this.log(`${run.namespace}/${run.name}: refused (${reason}): ${message}`);
    this.write(t, run.namespace, run.name, run.uid, (current) => refusedStatus(current, new Date(), reason, message, HOST_IP));
  }

  /** The pod is being deleted: stop its process within its grace period, then finish the deletion as a kubelet does. */
  private terminate(uid: string, known: Tracked | undefined, pod: K8s.V1Pod): void {
    const t = known ?? this.entry();
    if (!known) this.tracked.set(uid, t);
    if (t.deleting) return;
    t.deleting = true;
    const running = t.child !== null && t.child.exitCode === null && t.child.signalCode === null;
    if (running) {
      const grace = (pod.metadata?.deletionGracePeriodSeconds ?? 30) * 1000;
      this.kill(t, Math.min(grace, this.options.maxKillGraceMs ?? 10_000));
      return;
    }
    t.writes = t.writes.then(() => this.forceDeleteByName(pod.metadata!.namespace!, pod.metadata!.name!, uid));
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs` (0: at once). */
  private kill(t: Tracked, graceMs: number): void {
    const pid = t.child?.pid;
    if (pid === undefined) return;
    if (graceMs <= 0) {
      killGroup(pid, 'SIGKILL');
      return;
    }
    killGroup(pid, 'SIGTERM');
    t.killTimer ??= setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
  }

  /** Serialised status writes per pod: read, build from what is there, replace; retried on conflicts. */
  private write(t: Tracked, namespace: string, name: string, uid: string, build: (pod: K8s.V1Pod) => K8s.V1PodStatus): void {
    t.writes = t.writes.then(async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          const current = await this.core.readNamespacedPodStatus({ name, namespace });
          if (current.metadata?.uid !== uid) return;
          await this.core.replaceNamespacedPodStatus({ name, namespace, body: { ...current, status: build(current) } });
          return;
        } catch (error) {
          if (apiStatus(error) === 404) return;
          if (attempt === 19) this.log(`${namespace}/${name}: status write failed: ${String(error)}`);
          else if (apiStatus(error) !== 409) await delay(200);
        }
      }
    });
  }

  private async forceDelete(pod: K8s.V1Pod): Promise<void> {
    await this.forceDeleteByName(pod.metadata!.namespace!, pod.metadata!.name!, pod.metadata!.uid!);
  }

  /** What a kubelet does once the containers are gone: delete with grace 0 (finalizers, e.g. the Job controller's, still apply). */
  private async forceDeleteByName(namespace: string, name: string, uid: string): Promise<void> {
    await this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid } } }).catch((error: unknown) => {
      if (apiStatus(error) !== 404 && apiStatus(error) !== 409) this.log(`${namespace}/${name}: delete failed: ${String(error)}`);
    });
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
