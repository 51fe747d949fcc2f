import type { RunState } from '../../../lib/events';
import { ReconcileAction, ReconcileInput, reconcile } from './reconcile';
import type { ExecutionPhase, Observation } from './types';

const NOW = 1_000_000;
const GRACE = 60_000;
const obs = (phase: ExecutionPhase, extra: Partial<Observation> = {}): Observation => ({
  jobName: 'rh-m-abc',
  phase,
  attempt: 1,
  message: null,
  failure: phase === 'FAILED' ? { code: 'DEADLINE_EXCEEDED', message: 'DeadlineExceeded', retriable: true } : null,
  ...extra,
});
const input = (state: RunState, observed: Observation | null, extra: Partial<ReconcileInput> = {}): ReconcileInput => ({
  run: { runId: 'run-1', state, updatedAt: NOW - 1000, attempt: 1 },
  observed,
  admitted: false,
  now: NOW,
  lostJobGraceMs: GRACE,
  ...extra,
});
const to = (state: RunState): { kind: string; to: RunState } => ({ kind: 'transition', to: state });

describe('reconcile', () => {
  it.each<[string, ReconcileInput, ReconcileAction | { kind: string; to: RunState }]>([
    ['QUEUED, not admitted: wait', input('QUEUED', null), { kind: 'none' }],
    ['QUEUED, admitted: submit', input('QUEUED', null, { admitted: true }), { kind: 'submit' }],
    ['QUEUED with an existing Job: adopt, never recreate', input('QUEUED', obs('PENDING'), { admitted: true }), to('SUBMITTED')],
    ['QUEUED with a finished Job: adopt first', input('QUEUED', obs('SUCCEEDED')), to('SUBMITTED')],
    ['SUBMITTED, pending: wait', input('SUBMITTED', obs('PENDING')), { kind: 'none' }],
    ['SUBMITTED, pod up: RUNNING', input('SUBMITTED', obs('RUNNING')), to('RUNNING')],
    ['SUBMITTED, already succeeded: RUNNING first', input('SUBMITTED', obs('SUCCEEDED')), to('RUNNING')],
    ['SUBMITTED, failed before running: FAILED', input('SUBMITTED', obs('FAILED')), to('FAILED')],
    ['RUNNING, running: nothing to publish', input('RUNNING', obs('RUNNING', { attempt: 2 })), { kind: 'none' }],
    ['RUNNING, pending again (retry pod): nothing', input('RUNNING', obs('PENDING')), { kind: 'none' }],
    ['RUNNING, succeeded: SUCCEEDED', input('RUNNING', obs('SUCCEEDED')), to('SUCCEEDED')],
    ['RUNNING, failed: FAILED', input('RUNNING', obs('FAILED')), to('FAILED')],
    ['SUBMITTED, Job missing within grace: wait (informer lag)', input('SUBMITTED', null), { kind: 'none' }],
    ['RUNNING, Job missing within grace: wait', input('RUNNING', null), { kind: 'none' }],
    ['SUBMITTED, Job missing past grace: FAILED', input('SUBMITTED', null, { now: NOW + GRACE }), to('FAILED')],
    ['RUNNING, Job missing past grace: FAILED', input('RUNNING', null, { now: NOW + GRACE }), to('FAILED')],
    ['CANCELLED with a live Job: delete it', input('CANCELLED', obs('RUNNING')), { kind: 'delete' }],
    ['CANCELLED with a pending Job: delete it', input('CANCELLED', obs('PENDING')), { kind: 'delete' }],
    ['CANCELLED with a finished Job: nothing', input('CANCELLED', obs('SUCCEEDED')), { kind: 'none' }],
    ['CANCELLED without a Job: nothing', input('CANCELLED', null), { kind: 'none' }],
    ['SUCCEEDED: nothing, whatever is observed', input('SUCCEEDED', obs('FAILED')), { kind: 'none' }],
    ['FAILED: a stale RUNNING observation changes nothing', input('FAILED', obs('RUNNING')), { kind: 'none' }],
  ])('%s', (_name, given, expected) => {
    expect(reconcile(given)).toMatchObject(expected);
  });

  it('carries the failure, job name, attempt and message onto FAILED', () => {
    const failure = { code: 'BAD_INPUT', message: 'PodFailurePolicy: exit 65', retriable: false };
    const action = reconcile(input('RUNNING', obs('FAILED', { failure, attempt: 2, message: 'exit 65' })));
    expect(action).toEqual({ kind: 'transition', to: 'FAILED', details: { jobName: 'rh-m-abc', attempt: 2, message: 'exit 65', failure } });
  });

  it('names the lost Job as the failure', () => {
    const action = reconcile(input('RUNNING', null, { now: NOW + GRACE }));
    expect(action).toMatchObject({ details: { failure: { code: 'JOB_NOT_FOUND', retriable: true } } });
  });

  it('walks a finished Job from QUEUED to SUCCEEDED in steps', () => {
    let state: RunState = 'QUEUED';
    const seen: RunState[] = [];
    for (let i = 0; i < 10; i++) {
      const action = reconcile(input(state, obs('SUCCEEDED')));
      if (action.kind !== 'transition') break;
      state = action.to;
      seen.push(state);
    }
    expect(seen).toEqual(['SUBMITTED', 'RUNNING', 'SUCCEEDED']);
  });
});
