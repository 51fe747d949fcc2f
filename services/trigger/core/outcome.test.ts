import type { RunState } from '../../../lib/events';
import { NO_PROGRESS, outcomeOf, withEvaluation, withPromotion, withRun, type RequestProgress } from './outcome';

const run = (state: RunState, sequence = 3): RequestProgress => withRun(NO_PROGRESS, state, sequence);

describe('outcome: what became of a request', () => {
  it.each<[string, RequestProgress, string]>([
    ['nothing seen yet (the dispatcher has not queued it)', NO_PROGRESS, 'PENDING'],
    ['queued', run('QUEUED'), 'PENDING'],
    ['running', run('RUNNING'), 'PENDING'],
    ['succeeded, not yet evaluated', run('SUCCEEDED'), 'PENDING'],
    ['failed', run('FAILED'), 'FAILED'],
    ['cancelled', run('CANCELLED'), 'CANCELLED'],
    ['rejected', withEvaluation(run('SUCCEEDED'), 'REJECT', 10), 'REJECTED'],
    ['evaluated PROMOTE, ModelReady not seen yet', withEvaluation(run('SUCCEEDED'), 'PROMOTE', 10), 'PENDING'],
    ['promoted', withPromotion(withEvaluation(run('SUCCEEDED'), 'PROMOTE', 10)), 'PROMOTED'],
    ['rejected, then force-promoted by an operator', withPromotion(withEvaluation(withEvaluation(run('SUCCEEDED'), 'REJECT', 10), 'PROMOTE', 20)), 'PROMOTED'],
    ['force-rejected after a PROMOTE evaluation (later evaluation stands)', withEvaluation(withEvaluation(run('SUCCEEDED'), 'PROMOTE', 10), 'REJECT', 20), 'REJECTED'],
    ['an older evaluation delivered late does not replace the newer', withEvaluation(withEvaluation(run('SUCCEEDED'), 'REJECT', 20), 'PROMOTE', 10), 'REJECTED'],
    ['a stale run update (lower sequence) is ignored', withRun(run('FAILED', 4), 'RUNNING', 2), 'FAILED'],
  ])('%s → %s', (_case, progress, expected) => {
    expect(outcomeOf(progress)).toBe(expected);
  });
});
