import { RUN_STATE_SYMBOLS, RunState } from '../../../lib/events';
import { TRANSITIONS, canTransition, isInFlight, isTerminal } from './states';

const LEGAL: readonly [RunState, RunState][] = [
  ['QUEUED', 'SUBMITTED'],
  ['QUEUED', 'CANCELLED'],
  ['QUEUED', 'FAILED'],
  ['SUBMITTED', 'RUNNING'],
  ['SUBMITTED', 'FAILED'],
  ['SUBMITTED', 'CANCELLED'],
  ['RUNNING', 'SUCCEEDED'],
  ['RUNNING', 'FAILED'],
  ['RUNNING', 'CANCELLED'],
];

describe('run state machine', () => {
  const all = RUN_STATE_SYMBOLS.flatMap((from) => RUN_STATE_SYMBOLS.map((to) => [from, to] as [RunState, RunState]));

  it.each(all)('%s → %s is legal only if listed', (from, to) => {
    const listed = LEGAL.some(([f, t]) => f === from && t === to);
    expect(canTransition(from, to)).toBe(listed);
  });

  it('has exactly the listed transitions', () => {
    const table = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}>${to}`)).sort();
    expect(table).toEqual(LEGAL.map(([f, t]) => `${f}>${t}`).sort());
  });

  it.each([
    ['QUEUED', false, false],
    ['SUBMITTED', false, true],
    ['RUNNING', false, true],
    ['SUCCEEDED', true, false],
    ['FAILED', true, false],
    ['CANCELLED', true, false],
  ] as const)('%s: terminal=%s, in flight=%s', (state, terminal, inFlight) => {
    expect(isTerminal(state)).toBe(terminal);
    expect(isInFlight(state)).toBe(inFlight);
  });

  it('never goes back, never skips RUNNING on success, never leaves a terminal state', () => {
    expect(canTransition('RUNNING', 'QUEUED')).toBe(false);
    expect(canTransition('SUBMITTED', 'SUCCEEDED')).toBe(false);
    expect(canTransition('SUCCEEDED', 'FAILED')).toBe(false);
    expect(canTransition('CANCELLED', 'RUNNING')).toBe(false);
  });
});
