import { silentLogger } from '../../../lib/log';
import { TRAINER_EXIT, type RunSpec } from '../../../lib/runspec';
import { InProcessExecutor } from './in-process';

const run = { runId: 'run-1', requestId: 'rq-1', modelId: 'card-fraud', reason: 'DRIFT' as const, nonce: '0a1b2c3d' };
const spec = { runId: 'run-1' } as unknown as RunSpec;

async function settle(executor: InProcessExecutor): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const observation = await executor.observe(run);
    if (observation && (observation.phase === 'SUCCEEDED' || observation.phase === 'FAILED')) return observation.phase;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('run did not finish');
}

describe('InProcessExecutor', () => {
  it('runs the trainer once, reports phases to watchers, and is idempotent on submit', async () => {
    const calls: RunSpec[] = [];
    const executor = new InProcessExecutor(async (s) => (calls.push(s), TRAINER_EXIT.SUCCESS), silentLogger());
    const changes: string[] = [];
    executor.watch((id) => changes.push(id));
    const first = await executor.submit(run, spec);
    const again = await executor.submit(run, spec);
    expect(again.jobName).toBe(first.jobName);
    expect(await settle(executor)).toBe('SUCCEEDED');
    expect(calls).toHaveLength(1);
    expect(changes.length).toBeGreaterThanOrEqual(2);
  });

  it("runs another attempt of the run id (another nonce) instead of reporting the old attempt's outcome", async () => {
    let calls = 0;
    const executor = new InProcessExecutor(async () => (++calls, TRAINER_EXIT.SUCCESS), silentLogger());
    await executor.submit(run, spec);
    expect(await settle(executor)).toBe('SUCCEEDED');
    const again = { ...run, nonce: 'ffffffff' };
    expect(await executor.observe(again)).toBeNull();
    await executor.submit(again, spec);
    for (let i = 0; i < 200 && (await executor.observe(again))?.phase !== 'SUCCEEDED'; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(await executor.observe(again)).toMatchObject({ phase: 'SUCCEEDED' });
    expect(calls).toBe(2);
  });

  it('fails at once on BAD_INPUT and retries other failures up to the limit', async () => {
    const bad = new InProcessExecutor(async () => TRAINER_EXIT.BAD_INPUT, silentLogger(), 3);
    await bad.submit(run, spec);
    expect(await settle(bad)).toBe('FAILED');
    expect((await bad.observe(run))!.failure!.code).toBe('BAD_INPUT');

    let attempts = 0;
    const flaky = new InProcessExecutor(async () => (++attempts < 3 ? TRAINER_EXIT.RETRIABLE : TRAINER_EXIT.SUCCESS), silentLogger(), 2);
    await flaky.submit(run, spec);
    expect(await settle(flaky)).toBe('SUCCEEDED');
    expect(attempts).toBe(3);

    const crashing = new InProcessExecutor(async () => Promise.reject(new Error('boom')), silentLogger(), 1);
    await crashing.submit(run, spec);
    expect(await settle(crashing)).toBe('FAILED');
    expect((await crashing.observe(run))!.failure!.code).toBe('BACKOFF_LIMIT_EXCEEDED');
  });
});
