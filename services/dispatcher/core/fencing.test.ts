import { supersedes } from './run';

describe('supersedes (which of two events of one run the rebuild keeps)', () => {
  it.each([
    ['a higher sequence in the same epoch', { leaderEpoch: 2, sequence: 5 }, { leaderEpoch: 2, sequence: 4 }, true],
    ['the same sequence in the same epoch (a redelivery)', { leaderEpoch: 2, sequence: 4 }, { leaderEpoch: 2, sequence: 4 }, false],
    ["the successor's event over a deposed leader's with the same sequence", { leaderEpoch: 3, sequence: 4 }, { leaderEpoch: 2, sequence: 4 }, true],
    ["never a deposed leader's late write, whatever its sequence", { leaderEpoch: 2, sequence: 9 }, { leaderEpoch: 3, sequence: 5 }, false],
    ['any epoch over events from before leader election (null)', { leaderEpoch: 0, sequence: 1 }, { leaderEpoch: null, sequence: 7 }, true],
    ['between events from before leader election: the sequence', { leaderEpoch: null, sequence: 8 }, { leaderEpoch: null, sequence: 7 }, true],
    ['never an event without an epoch over one with', { leaderEpoch: null, sequence: 9 }, { leaderEpoch: 0, sequence: 1 }, false],
  ] as const)('%s', (_name, candidate, current, expected) => {
    expect(supersedes(candidate, current)).toBe(expected);
  });
});
