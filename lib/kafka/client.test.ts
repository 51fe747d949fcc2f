import { logLevel } from 'kafkajs';
import { kafkajsLevel } from './client';

describe('kafkajs log levels', () => {
  it.each([
    ['a retried request', logLevel.ERROR, { retryCount: 2, retryTime: 800, error: 'The broker is rebalancing' }, 'warn'],
    ['CONCURRENT_TRANSACTIONS while the coordinator finishes', logLevel.ERROR, { error: 'The producer attempted to update the transaction while another concurrent operation on the same transaction was ongoing', type: 'CONCURRENT_TRANSACTIONS' }, 'warn'],
    ['a rebalance in progress', logLevel.ERROR, { error: 'The group is rebalancing, so a rejoin is needed', type: 'REBALANCE_IN_PROGRESS' }, 'warn'],
    ['a record over the broker limit', logLevel.ERROR, { error: 'The request included a message larger than the max message size the server will accept', type: 'MESSAGE_TOO_LARGE' }, 'error'],
    ['a crash without retry', logLevel.ERROR, { error: 'Connection closed' }, 'error'],
    ['a warning stays a warning', logLevel.WARN, {}, 'warn'],
  ])('%s → %s', (_what, level, extra, expected) => {
    expect(kafkajsLevel(level, extra)).toBe(expected);
  });
});
