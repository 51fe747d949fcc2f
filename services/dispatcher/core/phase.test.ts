import type { V1Job, V1JobCondition, V1JobStatus } from '@kubernetes/client-node';
import { jobPhase } from './phase';

const cond = (type: string, status: 'True' | 'False', reason?: string, message?: string): V1JobCondition => ({
  type,
  status,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
});
const job = (status: V1JobStatus, suspend?: boolean): V1Job => ({ spec: { template: {}, ...(suspend !== undefined ? { suspend } : {}) }, status });

describe('jobPhase', () => {
  it.each<[string, V1Job, ReturnType<typeof jobPhase>]>([
    ['no status yet', { spec: { template: {} } }, { phase: 'PENDING', suspended: false, attempt: 1 }],
    ['created, pod pending', job({ active: 1, ready: 0 }), { phase: 'PENDING', suspended: false, attempt: 1 }],
    ['suspended by spec (Kueue)', job({}, true), { phase: 'PENDING', suspended: true, attempt: 1 }],
    ['Suspended condition', job({ conditions: [cond('Suspended', 'True', 'JobSuspended')] }), { phase: 'PENDING', suspended: true, attempt: 1 }],
    ['pod ready', job({ active: 1, ready: 1 }), { phase: 'RUNNING', attempt: 1 }],
    ['old API server without ready', job({ active: 1 }), { phase: 'RUNNING', attempt: 1 }],
    ['retrying after a failed pod', job({ active: 1, ready: 0, failed: 1 }), { phase: 'RUNNING', attempt: 2 }],
    ['succeeded pod, Complete not yet recorded', job({ succeeded: 1, ready: 0 }), { phase: 'RUNNING', attempt: 1 }],
    ['Complete', job({ succeeded: 1, conditions: [cond('Complete', 'True')] }), { phase: 'SUCCEEDED', attempt: 1, message: null }],
    [
      'SuccessCriteriaMet before Complete (1.31+)',
      job({ succeeded: 1, conditions: [cond('SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods')] }),
      { phase: 'SUCCEEDED', attempt: 1, message: 'Reached expected number of succeeded pods' },
    ],
    ['Complete after one retry', job({ succeeded: 1, failed: 1, conditions: [cond('Complete', 'True')] }), { phase: 'SUCCEEDED', attempt: 2, message: null }],
    [
      'DeadlineExceeded',
      job({ failed: 1, conditions: [cond('Failed', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline')] }),
      { phase: 'FAILED', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline', attempt: 1 },
    ],
    [
      'DeadlineExceeded while the pod never started',
      job({ conditions: [cond('Failed', 'True', 'DeadlineExceeded')] }),
      { phase: 'FAILED', reason: 'DeadlineExceeded', message: null, attempt: 1 },
    ],
    [
      'BackoffLimitExceeded',
      job({ failed: 3, conditions: [cond('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')] }),
      { phase: 'FAILED', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', attempt: 3 },
    ],
    [
      'PodFailurePolicy (FailJob on exit 65)',
      job({ failed: 1, conditions: [cond('Failed', 'True', 'PodFailurePolicy', 'Container trainer for pod ns/p failed with exit code 65 matching FailJob rule at index 0')] }),
      { phase: 'FAILED', reason: 'PodFailurePolicy', message: 'Container trainer for pod ns/p failed with exit code 65 matching FailJob rule at index 0', attempt: 1 },
    ],
    [
      'FailureTarget before Failed (1.31+)',
      job({ active: 1, failed: 1, conditions: [cond('FailureTarget', 'True', 'PodFailurePolicy', 'exit code 65')] }),
      { phase: 'FAILED', reason: 'PodFailurePolicy', message: 'exit code 65', attempt: 1 },
    ],
    ['Failed without a reason', job({ conditions: [cond('Failed', 'True')] }), { phase: 'FAILED', reason: 'Failed', message: null, attempt: 1 }],
    ['a False terminal condition is ignored', job({ active: 1, ready: 1, conditions: [cond('Failed', 'False'), cond('Complete', 'False')] }), { phase: 'RUNNING', attempt: 1 }],
    ['a resumed Job (Suspended False) runs', job({ active: 1, ready: 1, conditions: [cond('Suspended', 'False', 'JobResumed')] }, false), { phase: 'RUNNING', attempt: 1 }],
    ['Failed wins over a suspended spec', job({ conditions: [cond('Failed', 'True', 'DeadlineExceeded')] }, true), { phase: 'FAILED', reason: 'DeadlineExceeded', message: null, attempt: 1 }],
  ])('%s', (_name, input, expected) => {
    expect(jobPhase(input)).toEqual(expected);
  });

  it('reads conditions whose times are Date objects or strings alike (it never looks at them)', () => {
    const withDate = job({ conditions: [{ ...cond('Complete', 'True'), lastTransitionTime: new Date() }] });
    expect(jobPhase(withDate).phase).toBe('SUCCEEDED');
  });
});
