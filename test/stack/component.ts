/**
 * The contract every stack component implements (Kafka, Apicurio, the
 * Kubernetes control plane, SeaweedFS for S3). startStack() runs every component's plan() first, so
 * a missing tool is reported before anything is downloaded, then fetches, then
 * starts them side by side.
 */
import type { Log, PortAllocator, ServiceProcess } from './util';

/** The variables a stack exports. A component already named in the environment is not started. */
export type StackEnvKey =
  | 'KAFKA_BROKERS'
  | 'SCHEMA_REGISTRY_URL'
  | 'KUBECONFIG'
  | 'ROUNDHOUSE_S3_ENDPOINT'
  | 'ROUNDHOUSE_S3_BUCKET'
  | 'ROUNDHOUSE_S3_ACCESS_KEY_ID'
  | 'ROUNDHOUSE_S3_SECRET_ACCESS_KEY';

export interface StackContext {
  /** ~/.cache/roundhouse: downloads live here; runs under run/. */
  readonly cacheRoot: string;
  readonly log: Log;
  readonly ports: PortAllocator;
  /** Processes outlive this node process (stack:up) instead of dying with it. */
  readonly detached: boolean;
  /** Deadline for each component to become ready once spawned. */
  readonly readyTimeoutMs: number;
  readonly javaHome: string | undefined;
}

export interface StackComponent {
  readonly name: string;
  readonly provides: readonly StackEnvKey[];
  /** Finds the tools this component needs; throws PREREQUISITE_MISSING saying what to install. */
  plan(ctx: StackContext): Promise<ComponentPlan>;
}

export interface ComponentPlan {
  /** Fetches into the cache unless already there (atomically). */
  fetch(): Promise<void>;
  /** Starts in `runDir` (its own, empty) and resolves once ready. */
  start(runDir: string): Promise<RunningComponent>;
}

export interface RunningComponent {
  readonly name: string;
  readonly env: Partial<Record<StackEnvKey, string>>;
  readonly ports: Readonly<Record<string, number>>;
  readonly processes: readonly ServiceProcess[];
  stop(): Promise<void>;
}
