/**
 * Shared plumbing for stack components: commands, long-running processes, the
 * download cache, free ports and polling with a deadline. Nothing here knows
 * about Kafka or Apicurio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { StackError, StackErrorCodes } from './errors';

export type Log = (line: string) => void;
export const stderrLog: Log = (line) => {
  process.stderr.write(`[stack] ${line}\n`);
};

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- commands

export interface CommandResult {
  readonly code: number | null;
  readonly output: string; // stdout and stderr interleaved, last 64 KiB
}

/** Runs a command to completion. Rejects only if it cannot be spawned (ENOENT). */
export function runCommand(
  command: string,
  args: readonly string[],
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-65536);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Whether `command` can be run at all (e.g. `mvn -v`). */
export async function commandWorks(command: string, args: readonly string[]): Promise<boolean> {
  try {
    return (await runCommand(command, args, { timeoutMs: 60_000 })).code === 0;
  } catch {
    return false;
  }
}

/** Runs `work` and prints "still <what>" every 15 s, because a first fetch is silent for minutes. */
export async function withHeartbeat<T>(log: Log, what: string, work: Promise<T>): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => log(`still ${what} (${Math.round((Date.now() - started) / 1000)} s)`), 15_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

// ---------------------------------------------------------------- the cache

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Returns whether `finalDir` had to be populated. `populate` fills a sibling temp
 * dir that is renamed into place only once complete: an interrupted fetch leaves
 * a `.partial-*` dir (removed later), never a half-filled cache that looks good.
 */
export async function ensureCachedDir(finalDir: string, populate: (tmpDir: string) => Promise<void>): Promise<boolean> {
  if (await exists(finalDir)) return false;
  const parent = path.dirname(finalDir);
  const base = path.basename(finalDir);
  await fs.mkdir(parent, { recursive: true });
  for (const name of await fs.readdir(parent)) {
    const owner = /^\..+\.partial-(\d+)-\d+$/.exec(name)?.[1];
    if (name.startsWith(`.${base}.partial-`) && owner !== undefined && !isAlive(Number(owner))) {
      await fs.rm(path.join(parent, name), { recursive: true, force: true });
    }
  }
  const tmp = path.join(parent, `.${base}.partial-${process.pid}-${Date.now()}`);
  await fs.mkdir(tmp);
  try {
    await populate(tmp);
    await fs.rename(tmp, finalDir);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    // Another process finished the same fetch first: its copy is as good as ours.
    if (await exists(finalDir)) return true;
    throw err;
  }
  return true;
}

export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? await dirSize(p) : (await fs.stat(p)).size;
  }
  return total;
}

export const megabytes = (bytes: number): string => `${Math.round(bytes / 1048576)} MB`;

// ---------------------------------------------------------------- ports

/**
 * Hands out ports the OS reports free, never the same one twice per process. The
 * port is released before the service binds it, so another program could take
 * it in between; the service would then exit early and the start fails loudly.
 */
export class PortAllocator {
  private readonly given = new Set<number>();

  async next(): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await ephemeralPort();
      if (!this.given.has(port)) {
        this.given.add(port);
        return port;
      }
    }
    throw new StackError(StackErrorCodes.START_FAILED, 'could not find a free port on 127.0.0.1');
  }
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

// ---------------------------------------------------------------- processes

/** True if `pid` runs and is not a zombie (an exited child nobody reaped still answers kill 0). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): trust kill 0
  }
}

/** The command line of `pid`, or undefined if it is gone. Used to check a recorded pid is still ours. */
export async function commandLineOf(pid: number): Promise<string | undefined> {
  try {
    return (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    if (!isAlive(pid)) return undefined;
    const result = await runCommand('ps', ['-o', 'command=', '-p', String(pid)]).catch(() => undefined);
    return result?.code === 0 ? result.output : undefined;
  }
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves once it is gone. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  const send = (signal: NodeJS.Signals): void => {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  };
  const gone = async (ms: number): Promise<boolean> => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await delay(100)) if (!isAlive(pid)) return true;
    return !isAlive(pid);
  };
  send('SIGTERM');
  if (await gone(graceMs)) return;
  send('SIGKILL');
  await gone(5_000);
}

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** Files whose tail explains a failure. */
  readonly logFiles: readonly string[];
  /** Exit code or signal if it has exited (observable only while this process lives). */
  exited(): string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts a long-running service with stdout and stderr appended to `stdoutFile`.
 * `detached` services get their own session and outlive this process (stack:up);
 * attached ones stay in our process group, so Ctrl-C reaches them, and are killed
 * if this process exits without stopping them (a crashed jest run).
 */
export function spawnService(opts: {
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  stdoutFile: string;
  logFiles: readonly string[];
  detached: boolean;
  /** Replaces the inherited environment when given. */
  env?: NodeJS.ProcessEnv;
}): ServiceProcess {
  const fd = openSync(opts.stdoutFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.command, opts.args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: opts.detached, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new StackError(StackErrorCodes.START_FAILED, `${opts.name}: could not spawn ${opts.command}`);
  let exit: string | undefined;
  child.on('exit', (code, signal) => {
    exit = signal ?? `code ${String(code)}`;
  });
  child.on('error', (err) => {
    exit = err.message;
  });
  child.unref();
  const killOnExit = (): void => {
    try {
      if (exit === undefined) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  if (!opts.detached) process.once('exit', killOnExit);
  return {
    name: opts.name,
    pid,
    logFiles: [opts.stdoutFile, ...opts.logFiles],
    exited: () => exit,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (exit === undefined) await stopPid(pid);
    },
  };
}

/** The last `lines` lines of each file that exists, headed by its path. */
export async function tailFiles(files: readonly string[], lines = 30): Promise<string> {
  const parts: string[] = [];
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) parts.push(`--- ${file} (last ${lines} lines)\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`);
  }
  return parts.join('\n');
}

/**
 * Polls `probe` until it returns true. Throws START_FAILED at the deadline, or at
 * once when a process it depends on exits, with the logs' tails.
 */
export async function pollUntilReady(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; process: ServiceProcess | readonly ServiceProcess[]; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const processes: readonly ServiceProcess[] = Array.isArray(opts.process) ? opts.process : [opts.process as ServiceProcess];
  for (;;) {
    if (await probe()) return;
    const dead = processes.find((p) => p.exited() !== undefined);
    const reason =
      dead !== undefined
        ? `${processes.length > 1 ? `(${dead.name}) ` : ''}exited (${dead.exited() ?? ''}) before it was ready`
        : Date.now() > deadline
          ? `was not ready within ${opts.timeoutMs / 1000} s`
          : undefined;
    if (reason !== undefined) {
      const logs = dead !== undefined ? dead.logFiles : processes.flatMap((p) => p.logFiles);
      throw new StackError(StackErrorCodes.START_FAILED, `${what} ${reason}.\n${await tailFiles(logs)}`);
    }
    await delay(opts.intervalMs ?? 500);
  }
}
