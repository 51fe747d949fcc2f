import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunSpec } from '../../../lib/runspec';
import { buildRunSpec, newRun } from '../core/run';
import type { RunRecord } from '../core/types';
import { NONCE, model, request, testCatalog, T0 } from '../testing/fixtures';
import { waitFor } from '../testing/wait';
import { LocalExecutor } from './local';

const catalog = testCatalog();
const spec = model(catalog, 'queue-model');
const script = (name: string): string => join(__dirname, 'testdata', name);

let workDir: string;
let executors: LocalExecutor[] = [];
let counter = 0;

beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'rh-local-'));
});
afterEach(async () => {
  await Promise.all(executors.map((e) => e.stop()));
  executors = [];
  rmSync(workDir, { recursive: true, force: true });
});

function executor(command: string[], killGraceMs = 5_000): LocalExecutor {
  const e = new LocalExecutor({ workDir, env: { PATH: process.env.PATH, WORKERS: 'base' }, command: [process.execPath, ...command], killGraceMs });
  executors.push(e);
  return e;
}

function runWith(training: { deadlineMs?: number; retries?: number } = {}): { run: RunRecord; runSpec: RunSpec } {
  const run = newRun(request({ requestId: `rr-local-${++counter}` }), spec, 'local', T0, NONCE);
  const base = buildRunSpec(run, spec, { artifactRoot: 'file:///tmp/artifacts' });
  const runSpec: RunSpec = {
    ...base,
    model: { ...base.model, training: { ...base.model.training, env: { WORKERS: '3' }, deadlineMs: training.deadlineMs ?? 60_000, retries: training.retries ?? 0 } },
  };
  return { run, runSpec };
}

const finished = async (e: LocalExecutor, run: RunRecord) =>
  waitFor(async () => {
    const o = await e.observe(run);
    return o && (o.phase === 'SUCCEEDED' || o.phase === 'FAILED') ? o : null;
  }, `run ${run.runId} to finish`);

describe('LocalExecutor (real child processes)', () => {
  it('runs the trainer with the run spec and catalog env, keeps its output, and reports SUCCEEDED on exit 0', async () => {
    const e = executor([script('exit-with.js'), '0']);
    const { run, runSpec } = runWith();
    const changes: string[] = [];
    e.watch((id) => changes.push(id));
    const { jobName } = await e.submit(run, runSpec);
    expect(jobName).toMatch(/^rh-queue-model-/);
    const outcome = await finished(e, run);
    expect(outcome).toEqual({ jobName, phase: 'SUCCEEDED', attempt: 1, message: null, failure: null });
    const log = readFileSync(e.logPath(run.runId), 'utf8');
    expect(log).toContain(`stdout: run ${run.runId} model queue-model WORKERS=3`);
    expect(log).toContain('stderr: exiting with 0');
    expect(changes).toContain(run.runId);
  });

  it('fails at once, without retrying, on exit 65 (BAD_INPUT)', async () => {
    const e = executor([script('exit-with.js'), '65']);
    const { run, runSpec } = runWith({ retries: 3 });
    await e.submit(run, runSpec);
    const outcome = await finished(e, run);
    expect(outcome.phase).toBe('FAILED');
    expect(outcome.attempt).toBe(1);
    expect(outcome.failure).toMatchObject({ code: 'BAD_INPUT', retriable: false });
  });

  it('retries exit 75 (RETRIABLE) within the retries, then succeeds', async () => {
    const counterFile = join(workDir, 'attempts');
    const e = executor([script('flaky.js'), counterFile, '2']);
    const { run, runSpec } = runWith({ retries: 2 });
    await e.submit(run, runSpec);
    const outcome = await finished(e, run);
    expect(outcome).toMatchObject({ phase: 'SUCCEEDED', attempt: 3 });
    expect(readFileSync(counterFile, 'utf8')).toBe('3');
    expect(readFileSync(e.logPath(run.runId), 'utf8').match(/attempt \d/g)).toEqual(['attempt 1', 'attempt 2', 'attempt 3']);
  });

  it('gives up after the retries with BACKOFF_LIMIT_EXCEEDED', async () => {
    const e = executor([script('exit-with.js'), '75']);
    const { run, runSpec } = runWith({ retries: 1 });
    await e.submit(run, runSpec);
    const outcome = await finished(e, run);
    expect(outcome).toMatchObject({ phase: 'FAILED', attempt: 2, failure: { code: 'BACKOFF_LIMIT_EXCEEDED' } });
  });

  it('counts a crash (any other exit code) as retriable', async () => {
    const e = executor([script('exit-with.js'), '1']);
    const { run, runSpec } = runWith({ retries: 0 });
    await e.submit(run, runSpec);
    expect((await finished(e, run)).failure?.code).toBe('BACKOFF_LIMIT_EXCEEDED');
  });

  it('kills a trainer that outlives its deadline and reports DEADLINE_EXCEEDED', async () => {
    const e = executor([script('hang.js')]);
    const { run, runSpec } = runWith({ deadlineMs: 300, retries: 3 });
    await e.submit(run, runSpec);
    const outcome = await finished(e, run);
    expect(outcome).toMatchObject({ phase: 'FAILED', attempt: 1, failure: { code: 'DEADLINE_EXCEEDED' } });
  });

  it('cancels with SIGTERM', async () => {
    const e = executor([script('hang.js')]);
    const { run, runSpec } = runWith();
    await e.submit(run, runSpec);
    await waitFor(() => readFileSync(e.logPath(run.runId), 'utf8').includes('started'), 'the trainer to start');
    await e.cancel(run);
    const outcome = await e.observe(run);
    expect(outcome).toMatchObject({ phase: 'FAILED', failure: { code: 'CANCELLED' } });
    expect(outcome?.message).toContain('signal SIGTERM');
  });

  it('escalates to SIGKILL when the trainer ignores SIGTERM', async () => {
    const e = executor([script('hang.js'), 'ignore-term'], 200);
    const { run, runSpec } = runWith();
    await e.submit(run, runSpec);
    await waitFor(() => readFileSync(e.logPath(run.runId), 'utf8').includes('started'), 'the trainer to start');
    await e.cancel(run);
    const outcome = await e.observe(run);
    expect(outcome?.message).toContain('signal SIGKILL');
    expect(readFileSync(e.logPath(run.runId), 'utf8')).toContain('ignoring SIGTERM');
  });

  it('is idempotent: a second submit starts nothing', async () => {
    const counterFile = join(workDir, 'attempts');
    const e = executor([script('flaky.js'), counterFile, '0']);
    const { run, runSpec } = runWith();
    await e.submit(run, runSpec);
    await e.submit(run, runSpec);
    await finished(e, run);
    await e.submit(run, runSpec);
    expect(readFileSync(counterFile, 'utf8')).toBe('1');
  });

  it('remembers how a run ended across a restart, and starts nothing again', async () => {
    const counterFile = join(workDir, 'attempts');
    const first = executor([script('flaky.js'), counterFile, '0']);
    const { run, runSpec } = runWith();
    await first.submit(run, runSpec);
    await finished(first, run);
    const second = executor([script('flaky.js'), counterFile, '0']);
    expect(await second.observe(run)).toMatchObject({ phase: 'SUCCEEDED' });
    await second.submit(run, runSpec);
    expect(readFileSync(counterFile, 'utf8')).toBe('1');
  });

  it("does not take an old attempt's outcome for another attempt of the run id (a request id reused after retention)", async () => {
    const counterFile = join(workDir, 'attempts');
    const first = executor([script('flaky.js'), counterFile, '0']);
    const { run, runSpec } = runWith();
    const { jobName: old } = await first.submit(run, runSpec);
    await finished(first, run);
    const second = executor([script('flaky.js'), counterFile, '0']);
    const again = { ...run, nonce: 'ffffffff' };
    expect(await second.observe(again)).toBeNull();
    const { jobName } = await second.submit(again, runSpec);
    expect(jobName).not.toBe(old);
    expect(await finished(second, again)).toMatchObject({ jobName, phase: 'SUCCEEDED' });
    expect(readFileSync(counterFile, 'utf8')).toBe('2');
  });

  it('kills running trainers on stop and records them as failed', async () => {
    const e = executor([script('hang.js')]);
    const { run, runSpec } = runWith();
    await e.submit(run, runSpec);
    await waitFor(() => readFileSync(e.logPath(run.runId), 'utf8').includes('started'), 'the trainer to start');
    await e.stop();
    expect(existsSync(join(workDir, `${run.runId}.json`))).toBe(true);
    expect(await e.observe(run)).toMatchObject({ phase: 'FAILED', failure: { code: 'JOB_FAILED', retriable: true } });
  });

  it('reports a command that cannot start as FAILED', async () => {
    const e = new LocalExecutor({ workDir, env: {}, command: [join(workDir, 'no-such-trainer')] });
    executors.push(e);
    const { run, runSpec } = runWith({ retries: 3 });
    await e.submit(run, runSpec);
    const outcome = await finished(e, run);
    expect(outcome).toMatchObject({ phase: 'FAILED', failure: { code: 'JOB_FAILED', retriable: false } });
    expect(outcome.message).toContain('could not start');
  });

  it('observes nothing for a run it never saw', async () => {
    const e = executor([script('exit-with.js'), '0']);
    expect(await e.observe({ runId: 'run-unknown', modelId: 'm', nonce: NONCE })).toBeNull();
    await expect(e.cancel({ runId: 'run-unknown', modelId: 'm', nonce: NONCE })).resolves.toBeUndefined();
  });

  it('hands the run spec over as a file only its user can read, and passes exactly the base env, the catalog env and that path', async () => {
    const out = join(workDir, 'dump.json');
    const e = executor([script('dump-env.js'), out]);
    const { run, runSpec } = runWith();
    await e.submit(run, runSpec);
    await finished(e, run);
    const { env, spec: seen } = JSON.parse(readFileSync(out, 'utf8')) as { env: Record<string, string>; spec: RunSpec };
    expect(seen).toEqual(JSON.parse(JSON.stringify(runSpec)));
    expect(env).toEqual({ PATH: process.env.PATH, WORKERS: '3', ROUNDHOUSE_RUN_SPEC_FILE: e.specPath(run.runId) });
    expect(statSync(e.specPath(run.runId)).mode & 0o777).toBe(0o600);
  });

  it('starts a trainer whose run spec is larger than one environment string may be (128 KiB; was E2BIG)', async () => {
    const out = join(workDir, 'dump.json');
    const e = executor([script('dump-env.js'), out]);
    const { run, runSpec } = runWith();
    const large: RunSpec = { ...runSpec, hyperparameters: { blob: 'x'.repeat(300_000) } };
    await e.submit(run, large);
    expect(await finished(e, run)).toMatchObject({ phase: 'SUCCEEDED' });
    expect((JSON.parse(readFileSync(out, 'utf8')) as { spec: RunSpec }).spec.hyperparameters.blob).toHaveLength(300_000);
  });
});
