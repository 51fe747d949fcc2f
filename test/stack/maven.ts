/** Maven as a download client: the machines reach Maven Central only through it. */
import { HOW_TO_GET_A_STACK, StackError, StackErrorCodes } from './errors';
import { commandWorks, runCommand, withHeartbeat, type Log } from './util';

/** Throws PREREQUISITE_MISSING unless `mvn -v` works. Only asked when a fetch is due. */
export async function requireMaven(purpose: string): Promise<void> {
  if (!(await commandWorks('mvn', ['-v']))) {
    throw new StackError(StackErrorCodes.PREREQUISITE_MISSING, `fetching ${purpose} needs Maven 3.8+ (mvn on PATH). ${HOW_TO_GET_A_STACK}`);
  }
}

/** Runs `mvn -q -B -C <args>` (-C: fail on a checksum mismatch); FETCH_FAILED with Maven's output otherwise. */
export async function runMaven(args: readonly string[], opts: { cwd: string; log: Log; what: string }): Promise<void> {
  const result = await withHeartbeat(opts.log, `fetching ${opts.what}`, runCommand('mvn', ['-q', '-B', '-C', ...args], { cwd: opts.cwd }));
  if (result.code !== 0) {
    throw new StackError(StackErrorCodes.FETCH_FAILED, `mvn failed fetching ${opts.what} (exit ${String(result.code)}):\n${result.output.slice(-4000)}`);
  }
}
