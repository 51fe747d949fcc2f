import { ErrorCodes, RoundhouseError } from '../../../lib/errors';
import { TRAINER_EXIT } from '../../../lib/runspec';
import { exitCodeFor, failureOf } from './failure';

describe('failure → exit code', () => {
  it.each<[string, unknown, string, boolean, number]>([
    ['no labelled data', new RoundhouseError(ErrorCodes.NO_DATA, 'empty', { retriable: false }), 'NO_DATA', false, TRAINER_EXIT.BAD_INPUT],
    ['bad hyperparameters', new RoundhouseError(ErrorCodes.VALIDATION, 'C: must be > 0'), 'VALIDATION', false, 65],
    ['bad configuration', new RoundhouseError(ErrorCodes.CONFIG_INVALID, 'SCHEMA_REGISTRY_URL'), 'CONFIG_INVALID', false, 65],
    ['broker down', new RoundhouseError(ErrorCodes.KAFKA_UNAVAILABLE, 'ECONNREFUSED'), 'KAFKA_UNAVAILABLE', true, TRAINER_EXIT.RETRIABLE],
    ['registry down', new RoundhouseError(ErrorCodes.REGISTRY_UNAVAILABLE, '503'), 'REGISTRY_UNAVAILABLE', true, 75],
    ['artifact volume gone', new RoundhouseError(ErrorCodes.STORAGE_UNAVAILABLE, 'ENOSPC'), 'STORAGE_UNAVAILABLE', true, 75],
    ['permission refused on the volume', new RoundhouseError(ErrorCodes.STORAGE_UNAVAILABLE, 'EACCES', { retriable: false }), 'STORAGE_UNAVAILABLE', false, 65],
    ['a kafkajs retriable error', Object.assign(new Error('leader not available'), { retriable: true }), 'INTERNAL', true, 75],
    ['a bug', new TypeError('x is undefined'), 'INTERNAL', false, 65],
    ['a thrown string', 'boom', 'INTERNAL', false, 65],
  ])('%s', (_what, error, code, retriable, exit) => {
    const failure = failureOf(error);
    expect(failure).toMatchObject({ code, retriable });
    expect(failure.message.length).toBeGreaterThan(0);
    expect(exitCodeFor(failure)).toBe(exit);
  });

  it('success is exit 0', () => {
    expect(exitCodeFor(null)).toBe(TRAINER_EXIT.SUCCESS);
  });
});
