import type { InFlightPolicy } from '../../../lib/catalog';
import type { RunState } from '../../../lib/events';
import { AdmissionRun, REASON_PRIORITY, admit } from './admission';

let seq = 0;
const run = (modelId: string, state: RunState, priority = REASON_PRIORITY.DRIFT, createdAt = 1000 + seq, runId = `r${++seq}`): AdmissionRun => ({
  runId,
  modelId,
  state,
  priority,
  createdAt,
});
const limits = (maxConcurrent = 10, policies: Record<string, InFlightPolicy> = {}) => ({
  maxConcurrent,
  policyOf: (modelId: string): InFlightPolicy => policies[modelId] ?? 'queue',
});

describe('admission', () => {
  beforeEach(() => (seq = 0));

  it('orders reasons MANUAL > DRIFT > PERFORMANCE > VOLUME > AGE', () => {
    const order = Object.entries(REASON_PRIORITY).sort((a, b) => b[1] - a[1]).map(([reason]) => reason);
    expect(order).toEqual(['MANUAL', 'DRIFT', 'PERFORMANCE', 'VOLUME', 'AGE']);
  });

  describe('queue policy', () => {
    it('starts one run per model when nothing is in flight', () => {
      const a1 = run('a', 'QUEUED', 40, 1, 'a1');
      const a2 = run('a', 'QUEUED', 40, 2, 'a2');
      const b1 = run('b', 'QUEUED', 40, 3, 'b1');
      expect(admit([a1, a2, b1], limits())).toEqual({ start: ['a1', 'b1'], cancel: [] });
    });

    it.each(['SUBMITTED', 'RUNNING'] as const)('keeps later requests queued while one is %s', (state) => {
      const decision = admit([run('a', state), run('a', 'QUEUED'), run('a', 'QUEUED')], limits());
      expect(decision).toEqual({ start: [], cancel: [] });
    });

    it('starts the next one once the in-flight run has ended', () => {
      const decision = admit([run('a', 'SUCCEEDED', 40, 1, 'done'), run('a', 'QUEUED', 40, 2, 'next')], limits());
      expect(decision.start).toEqual(['next']);
    });

    it('picks the highest priority, then the oldest, within a model', () => {
      const runs = [run('a', 'QUEUED', REASON_PRIORITY.AGE, 1, 'age'), run('a', 'QUEUED', REASON_PRIORITY.MANUAL, 5, 'manual-new'), run('a', 'QUEUED', REASON_PRIORITY.MANUAL, 3, 'manual-old')];
      expect(admit(runs, limits()).start).toEqual(['manual-old']);
    });
  });

  describe('supersede policy', () => {
    const policies = { s: 'supersede' as const };

    it('cancels the in-flight run and older queued ones, and starts the newest', () => {
      const runs = [run('s', 'RUNNING', 40, 1, 'flying'), run('s', 'QUEUED', 50, 2, 'older'), run('s', 'QUEUED', 10, 3, 'newest')];
      expect(admit(runs, limits(10, policies))).toEqual({
        start: ['newest'],
        cancel: [
          { runId: 'flying', supersededBy: 'newest' },
          { runId: 'older', supersededBy: 'newest' },
        ],
      });
    });

    it('leaves an in-flight run alone when nothing newer is queued', () => {
      expect(admit([run('s', 'SUBMITTED', 40, 1, 'flying')], limits(10, policies))).toEqual({ start: [], cancel: [] });
    });

    it('breaks a tie in creation time by run id, deterministically', () => {
      const runs = [run('s', 'QUEUED', 40, 7, 'x1'), run('s', 'QUEUED', 40, 7, 'x2')];
      expect(admit(runs, limits(10, policies))).toEqual({ start: ['x2'], cancel: [{ runId: 'x1', supersededBy: 'x2' }] });
      expect(admit([...runs].reverse(), limits(10, policies))).toEqual({ start: ['x2'], cancel: [{ runId: 'x1', supersededBy: 'x2' }] });
    });
  });

  describe('global concurrency', () => {
    it('never starts more than the free slots', () => {
      const runs = [run('a', 'RUNNING'), run('b', 'SUBMITTED'), run('c', 'QUEUED'), run('d', 'QUEUED'), run('e', 'QUEUED')];
      expect(admit(runs, limits(3)).start).toHaveLength(1);
      expect(admit(runs, limits(2)).start).toHaveLength(0);
      expect(admit(runs, limits(1)).start).toHaveLength(0);
    });

    it('gives free slots by priority then age across models', () => {
      const runs = [
        run('age', 'QUEUED', REASON_PRIORITY.AGE, 1, 'age'),
        run('volume', 'QUEUED', REASON_PRIORITY.VOLUME, 2, 'volume'),
        run('drift-new', 'QUEUED', REASON_PRIORITY.DRIFT, 9, 'drift-new'),
        run('drift-old', 'QUEUED', REASON_PRIORITY.DRIFT, 4, 'drift-old'),
        run('manual', 'QUEUED', REASON_PRIORITY.MANUAL, 8, 'manual'),
        run('perf', 'QUEUED', REASON_PRIORITY.PERFORMANCE, 3, 'perf'),
      ];
      expect(admit(runs, limits(4)).start).toEqual(['manual', 'drift-old', 'drift-new', 'perf']);
      expect(admit(runs, limits(100)).start).toEqual(['manual', 'drift-old', 'drift-new', 'perf', 'volume', 'age']);
    });

    it('ignores terminal runs entirely', () => {
      const runs = [run('a', 'FAILED'), run('b', 'CANCELLED'), run('c', 'SUCCEEDED'), run('d', 'QUEUED', 40, 1, 'd')];
      expect(admit(runs, limits(1)).start).toEqual(['d']);
    });

    it('does not count a superseded in-flight run against the limit', () => {
      const runs = [run('s', 'RUNNING', 40, 1, 'old'), run('s', 'QUEUED', 40, 2, 'new')];
      expect(admit(runs, limits(1, { s: 'supersede' })).start).toEqual(['new']);
    });
  });
});
