import { ManualClock } from '../../../../lib/clock';
import { errorCode, isRetriable } from '../../../../lib/errors';
import { silentLogger } from '../../../../lib/log';
import { kubernetesError } from '../../../../lib/kubernetes';
import { FakeJobsApi } from './fakes';
import { ListWatchLike, RestartingInformer } from './informer';
import { guardedJobsApi } from './jobs-api';
import { TokenBucket } from './rate-limit';
import { withRetries } from './retry';

/** Let pending promise callbacks run (the clock is manual; nothing here waits on real time). */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('kubernetesError', () => {
  it.each<[string, unknown, string, boolean]>([
    ['404', { code: 404, body: { reason: 'NotFound' } }, 'NOT_FOUND', false],
    ['409 AlreadyExists', { code: 409, body: '{"reason":"AlreadyExists","message":"exists"}' }, 'CONFLICT', false],
    ['422 Invalid', { code: 422, body: { reason: 'Invalid', message: 'spec.template: Required' } }, 'VALIDATION', false],
    ['400', { code: 400, body: 'bad' }, 'VALIDATION', false],
    ['401', { code: 401 }, 'KUBERNETES_UNAVAILABLE', true],
    ['403 RBAC', { code: 403, body: { reason: 'Forbidden' } }, 'KUBERNETES_UNAVAILABLE', true],
    ['429', { code: 429 }, 'KUBERNETES_UNAVAILABLE', true],
    ['500', { code: 500 }, 'KUBERNETES_UNAVAILABLE', true],
    ['503', { code: 503 }, 'KUBERNETES_UNAVAILABLE', true],
    ['418', { code: 418 }, 'KUBERNETES_UNAVAILABLE', false],
    ['connection refused', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:6443' }, 'KUBERNETES_UNAVAILABLE', true],
    ['plain Error', new Error('socket hang up'), 'KUBERNETES_UNAVAILABLE', true],
  ])('%s → %s (retriable %s)', (_name, raw, code, retriable) => {
    const error = kubernetesError(raw, 'create job', { name: 'j' });
    expect(errorCode(error)).toBe(code);
    expect(isRetriable(error)).toBe(retriable);
    expect(error.message).toContain('create job');
  });

  it('keeps the Status reason and message, and Retry-After', () => {
    const error = kubernetesError({ code: 429, body: { reason: 'TooManyRequests', message: 'slow down' }, headers: { 'retry-after': '3' } }, 'list jobs');
    expect(error.message).toBe('list jobs: HTTP 429 TooManyRequests: slow down');
    expect(error.context).toMatchObject({ status: 429, reason: 'TooManyRequests', retryAfterMs: 3000 });
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then paces at qps', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket(5, 3, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.reserve()).toBe(200);
    expect(bucket.reserve()).toBe(400);
    clock.advance(1000);
    expect(bucket.reserve()).toBe(0);
  });

  it('refills up to the burst only', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket(10, 2, clock);
    clock.advance(60_000);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 100]);
  });

  it('resolves take() when the clock reaches the reserved time', async () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket(1, 1, clock);
    await bucket.take();
    let done = false;
    void bucket.take().then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    clock.advance(999);
    await flush();
    expect(done).toBe(false);
    clock.advance(1);
    await flush();
    expect(done).toBe(true);
  });

  it('refuses a nonsensical rate', () => {
    expect(() => new TokenBucket(0, 1, new ManualClock())).toThrow();
  });
});

describe('withRetries', () => {
  const unavailable = (headers: Record<string, string> = {}) => kubernetesError({ code: 503, headers }, 'read job');

  it('retries retriable failures with backoff until success', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const delays: number[] = [];
    const result = withRetries(
      async () => {
        calls++;
        if (calls < 3) throw unavailable();
        return 'ok';
      },
      { attempts: 5, initialMs: 100, maxMs: 1000, clock, random: () => 1, onRetry: (_e, _a, ms) => delays.push(ms) },
    );
    for (let i = 0; i < 5; i++) {
      await flush();
      clock.advance(1000);
    }
    await expect(result).resolves.toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([100, 200]);
  });

  it('waits at least Retry-After', async () => {
    const clock = new ManualClock(0);
    const delays: number[] = [];
    let calls = 0;
    const result = withRetries(
      async () => {
        if (++calls === 1) throw unavailable({ 'retry-after': '5' });
        return calls;
      },
      { attempts: 3, initialMs: 100, maxMs: 1000, clock, random: () => 0, onRetry: (_e, _a, ms) => delays.push(ms) },
    );
    await flush();
    clock.advance(5000);
    await expect(result).resolves.toBe(2);
    expect(delays).toEqual([5000]);
  });

  it('gives up after the attempts, and never retries what is not retriable', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const failing = withRetries(
      async () => {
        calls++;
        throw unavailable();
      },
      { attempts: 2, initialMs: 1, maxMs: 1, clock },
    );
    await flush();
    clock.advance(10);
    await expect(failing).rejects.toMatchObject({ code: 'KUBERNETES_UNAVAILABLE' });
    expect(calls).toBe(2);

    let conflicts = 0;
    await expect(
      withRetries(
        async () => {
          conflicts++;
          throw kubernetesError({ code: 409 }, 'create job');
        },
        { attempts: 5, initialMs: 1, maxMs: 1, clock },
      ),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(conflicts).toBe(1);
  });
});

describe('guardedJobsApi', () => {
  it('rate-limits and retries each call', async () => {
    const clock = new ManualClock(0);
    const api = new FakeJobsApi();
    const guarded = guardedJobsApi(api, new TokenBucket(1, 1, clock), { attempts: 3, initialMs: 10, maxMs: 10, clock, random: () => 1 });
    api.failNext(500);
    let read: unknown = 'pending';
    void guarded.read('x').then((value) => (read = value));
    await flush();
    expect(api.calls).toEqual(['read x']);
    clock.advance(10); // backoff elapsed, but the retry still needs a token (1 per second)
    await flush();
    expect(api.calls).toEqual(['read x']);
    clock.advance(990);
    await flush();
    expect(api.calls).toEqual(['read x', 'read x']);
    expect(read).toBeNull();
  });
});

describe('RestartingInformer', () => {
  class FakeListWatch implements ListWatchLike {
    handlers: Record<string, ((arg?: unknown) => void)[]> = {};
    starts = 0;
    failStart = false;
    on(verb: string, cb: (arg: never) => void): void {
      (this.handlers[verb] ??= []).push(cb as (arg?: unknown) => void);
    }
    async start(): Promise<void> {
      this.starts++;
      // client-node reports a failed list through the error handlers, and start() still resolves.
      if (this.failStart) this.fire('error', new Error('list failed'));
    }
    async stop(): Promise<void> {}
    get(): undefined {
      return undefined;
    }
    list(): [] {
      return [];
    }
    fire(verb: string, arg?: unknown): void {
      for (const cb of this.handlers[verb] ?? []) cb(arg);
    }
  }

  function setup() {
    const clock = new ManualClock(0);
    const inner = new FakeListWatch();
    const errors: unknown[] = [];
    const informer = new RestartingInformer(() => {
      inner.handlers = {};
      return inner;
    }, { namespace: 'ns', clock, logger: silentLogger(), backoff: { initialMs: 100, maxMs: 1000 }, random: () => 1, onError: (e) => errors.push(e) });
    return { clock, inner, informer, errors };
  }

  it('is synced after a clean start', async () => {
    const { informer } = setup();
    expect(informer.synced).toBe(false);
    await informer.start();
    expect(informer.synced).toBe(true);
  });

  it('restarts after a watch error, with backoff, and syncs again', async () => {
    const { clock, inner, informer, errors } = setup();
    await informer.start();
    inner.fire('error', new Error('watch broke'));
    expect(informer.synced).toBe(false);
    expect(errors).toHaveLength(1);
    clock.advance(99);
    expect(inner.starts).toBe(1);
    clock.advance(1);
    await flush();
    expect(inner.starts).toBe(2);
    expect(informer.synced).toBe(true);
  });

  it('does not count a start whose list failed as synced, and keeps retrying with growing delays', async () => {
    const { clock, inner, informer } = setup();
    inner.failStart = true;
    await informer.start();
    expect(informer.synced).toBe(false);
    clock.advance(100);
    await flush();
    expect(inner.starts).toBe(2);
    clock.advance(199);
    await flush();
    expect(inner.starts).toBe(2);
    inner.failStart = false;
    clock.advance(1);
    await flush();
    expect(inner.starts).toBe(3);
    expect(informer.synced).toBe(true);
  });

  it('does not restart once stopped', async () => {
    const { clock, inner, informer } = setup();
    await informer.start();
    await informer.stop();
    inner.fire('error', new Error('late'));
    clock.advance(10_000);
    await flush();
    expect(inner.starts).toBe(1);
  });

  it('forwards add, update and delete', async () => {
    const { inner, informer } = setup();
    await informer.start();
    const seen: string[] = [];
    informer.onChange((job, deleted) => seen.push(`${job.metadata?.name}:${deleted}`));
    inner.fire('add', { metadata: { name: 'a' } });
    inner.fire('update', { metadata: { name: 'a' } });
    inner.fire('delete', { metadata: { name: 'a' } });
    expect(seen).toEqual(['a:false', 'a:false', 'a:true']);
  });
});
