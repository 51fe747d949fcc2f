import { requestToPromotionMs } from './latency';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 0, 1, 12);

describe('requestToPromotionMs: wall clock to wall clock', () => {
  it.each<[string, { emittedAt: number | null; requestedAt: number; requestedBy: string | null }, number | null]>([
    ['a trigger request on data 2 h behind: its emittedAt, not its event time', { emittedAt: NOW - 30_000, requestedAt: NOW - 2 * HOUR, requestedBy: 'trigger' }, 30_000],
    ['a manual request: emittedAt', { emittedAt: NOW - 60_000, requestedAt: NOW - 60_000, requestedBy: 'alice' }, 60_000],
    ['a manual request from before emittedAt: requestedAt is the API clock', { emittedAt: null, requestedAt: NOW - 90_000, requestedBy: 'api' }, 90_000],
    ['a trigger request from before emittedAt: not measured', { emittedAt: null, requestedAt: NOW - 2 * HOUR, requestedBy: 'trigger' }, null],
    ['a rule request without requestedBy from before emittedAt: not measured', { emittedAt: null, requestedAt: NOW - 2 * HOUR, requestedBy: null }, null],
    ['clocks a little apart: never negative', { emittedAt: NOW + 500, requestedAt: NOW, requestedBy: 'trigger' }, 0],
  ])('%s', (_case, request, expected) => {
    expect(requestToPromotionMs(request, NOW)).toBe(expected);
  });
});
