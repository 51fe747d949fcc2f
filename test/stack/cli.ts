/**
 * npm run stack:up | stack:down, and `tsx test/stack/cli.ts env`.
 *
 *   eval "$(npm run -s stack:up)"   # start (or reuse) a detached stack, export its env
 *   npm run stack:down              # stop it and remove its run dir
 *   tsx test/stack/cli.ts prepare   # fetch and build everything, start nothing (CI);
 *                                   # also builds helm for the chart tests (test/stack/helm.ts)
 *
 * Exports go to stdout, progress to stderr. Unlike the jest setup, `up` ignores
 * KAFKA_BROKERS / SCHEMA_REGISTRY_URL / KUBECONFIG / ROUNDHOUSE_S3_* in the environment: after a `down`, the
 * shell still holds the old exports, and `up` must not adopt a dead stack.
 */
import { ensureHelm } from './helm';
import { STACK_ENV_KEYS, defaultCacheRoot, isStackError, prepareStack, startStack } from './index';
import { exportLines, isComplete, liveProcesses, readState, statePath, stopState, writeState } from './state';
import { stderrLog } from './util';

async function up(file: string): Promise<number> {
  const state = await readState(file);
  if (state !== undefined) {
    const live = await liveProcesses(state);
    // A stack recorded before a component was added lacks its variable: replace it.
    if (live.length === state.processes.length && live.length > 0 && isComplete(state.env)) {
      stderrLog(`reusing the running stack (pids ${live.map((p) => p.pid).join(', ')}, run dir ${state.runDir})`);
      process.stdout.write(exportLines(state.env));
      return 0;
    }
    stderrLog('the recorded stack is not fully running; stopping what is left of it');
    await stopState(file, state);
  }
  const handle = await startStack({ detached: true, env: { ...process.env, ...Object.fromEntries(STACK_ENV_KEYS.map((k) => [k, undefined])) } });
  if (handle.runDir !== undefined) await writeState(file, { runDir: handle.runDir, env: handle.env, processes: handle.processes });
  stderrLog(`stack is up; stop it with: npm run stack:down (state in ${file})`);
  process.stdout.write(exportLines(handle.env));
  return 0;
}

async function down(file: string): Promise<number> {
  const state = await readState(file);
  if (state === undefined) {
    stderrLog(`no stack recorded in ${file}; nothing to stop`);
    return 0;
  }
  const stopped = await stopState(file, state);
  stderrLog(`stopped ${stopped} process(es); removed ${state.runDir}`);
  return 0;
}

async function env(file: string): Promise<number> {
  const state = await readState(file);
  if (state === undefined || (await liveProcesses(state)).length !== state.processes.length) {
    stderrLog('no running stack; start one with: eval "$(npm run -s stack:up)"');
    return 1;
  }
  process.stdout.write(exportLines(state.env));
  return 0;
}

async function main(command: string | undefined): Promise<number> {
  const file = statePath(defaultCacheRoot());
  switch (command) {
    case 'up':
      return up(file);
    case 'down':
      return down(file);
    case 'env':
      return env(file);
    case 'prepare':
      await prepareStack();
      // After the stack, not beside it: the Kubernetes build ends with `go clean -cache`,
      // which would pull the shared build cache from under a helm build in flight.
      await ensureHelm({ cacheRoot: defaultCacheRoot() });
      stderrLog(`everything the stack starts is fetched and built (in ${defaultCacheRoot()})`);
      return 0;
    default:
      stderrLog('usage: tsx test/stack/cli.ts up|down|env|prepare');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    stderrLog(isStackError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
