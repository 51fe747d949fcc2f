import { ErrorCodes, isRoundhouseError, type RoundhouseError } from '../errors';
import {
  EVENT_DECODERS,
  decodeEvent,
  decodeModelEvaluated,
  decodeModelReady,
  decodeRetrainRequested,
  decodeTrainingCompleted,
  decodeTrainingRun,
} from './decode';
import { MINIMAL_SAMPLE_EVENTS, SAMPLE_EVENTS, sampleModelReady, sampleRetrainRequested, sampleTrainingRun } from './samples';
import { EVENT_NAMES, type EventName } from './schemas';

/** A deep, mutable JSON copy to break on purpose. */
function copy(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

function thrown(fn: () => unknown): RoundhouseError {
  try {
    fn();
  } catch (err) {
    if (isRoundhouseError(err)) return err;
    throw err;
  }
  throw new Error('expected a RoundhouseError, nothing was thrown');
}

describe('decoders accept valid events', () => {
  it.each(EVENT_NAMES)('%s: full and minimal samples (as JSON) decode to equal values', (name: EventName) => {
    for (const sample of [SAMPLE_EVENTS[name], MINIMAL_SAMPLE_EVENTS[name]]) {
      expect(EVENT_DECODERS[name](copy(sample))).toEqual(sample);
      expect(decodeEvent(name, copy(sample))).toEqual(sample);
    }
  });

  it('one named decoder per event', () => {
    expect(decodeRetrainRequested(copy(sampleRetrainRequested)).requestId).toBe(sampleRetrainRequested.requestId);
    expect(decodeTrainingRun(copy(sampleTrainingRun)).sequence).toBe(4);
    expect(decodeTrainingCompleted(copy(SAMPLE_EVENTS.TrainingCompleted)).status).toBe('SUCCEEDED');
    expect(decodeModelEvaluated(copy(SAMPLE_EVENTS.ModelEvaluated)).gates).toHaveLength(3);
    expect(decodeModelReady(copy(sampleModelReady)).version).toBe(8);
  });
});

describe('missing fields', () => {
  it('a required field is reported with its path', () => {
    const value = copy(sampleTrainingRun);
    delete value.runId;
    const err = thrown(() => decodeTrainingRun(value));
    expect(err.code).toBe(ErrorCodes.VALIDATION);
    expect(err.retriable).toBe(false);
    expect(err.message).toBe('invalid TrainingRun: runId: missing');
    expect(err.context).toMatchObject({ event: 'TrainingRun', path: 'runId', problems: 1 });
  });

  it('a nested required field is reported with its full path', () => {
    const value = copy(sampleModelReady);
    delete ((value.lineage as Record<string, unknown>).dataWindow as { partitions: Record<string, unknown>[] }).partitions[1]?.topic;
    expect(() => decodeModelReady(value)).toThrow('invalid ModelReady: lineage.dataWindow.partitions[1].topic: missing');
  });

  it('a missing field with a schema default takes the default, as an Avro reader would', () => {
    const value = copy(sampleRetrainRequested);
    delete value.segment;
    delete value.hyperparameters;
    const metrics = ((value.drift as Record<string, unknown>).features as Record<string, unknown>[])[0] as Record<string, unknown>;
    delete metrics.pValue;
    const decoded = decodeRetrainRequested(value);
    expect(decoded.segment).toBeNull();
    expect(decoded.hyperparameters).toBeNull();
    expect(decoded.drift?.features[0]?.pValue).toBeNull();
  });

  it('a missing map with a default becomes an empty map', () => {
    const value = copy(sampleModelReady);
    delete (value.metrics as Record<string, unknown>).extra;
    expect(decodeModelReady(value).metrics.extra).toEqual({});
  });

  it('every problem is reported at once', () => {
    const value = copy(sampleTrainingRun);
    delete value.runId;
    delete value.modelId;
    value.state = 'DONE';
    const err = thrown(() => decodeTrainingRun(value));
    expect(err.message).toContain('runId: missing');
    expect(err.message).toContain('modelId: missing');
    expect(err.message).toContain('state: expected one of QUEUED|SUBMITTED|RUNNING|SUCCEEDED|FAILED|CANCELLED, got string "DONE"');
    expect(err.context.problems).toBe(3);
  });
});

describe('null', () => {
  it('is accepted where the schema says ["null", T]', () => {
    expect(decodeModelEvaluated({ ...copy(SAMPLE_EVENTS.ModelEvaluated), championMetrics: null }).championMetrics).toBeNull();
  });

  it('is refused for a required field, naming it', () => {
    expect(() => decodeTrainingRun({ ...copy(sampleTrainingRun), dataWindow: null })).toThrow(
      'invalid TrainingRun: dataWindow: expected record DataWindow, got null',
    );
    expect(() => decodeTrainingRun({ ...copy(sampleTrainingRun), sequence: null })).toThrow(
      'invalid TrainingRun: sequence: expected long (safe integer), got null',
    );
  });

  it('is refused as the whole value', () => {
    expect(() => decodeModelReady(null)).toThrow('invalid ModelReady: (root): expected record ModelReady, got null');
    expect(() => decodeModelReady([])).toThrow('expected record ModelReady, got array');
  });

  it('undefined in an array is not skipped', () => {
    const value = copy(sampleModelReady);
    (value.profile as { features: unknown[] }).features[0] = undefined;
    expect(() => decodeModelReady(value)).toThrow('profile.features[0]: expected record FeatureProfile, got undefined');
  });
});

describe('extra fields', () => {
  it('are dropped at every level, so the result is exactly the narrow type', () => {
    const value = copy(sampleTrainingRun);
    value.debug = { secret: 'x' };
    (value.dataWindow as Record<string, unknown>).note = 'extra';
    ((value.dataWindow as { partitions: Record<string, unknown>[] }).partitions[0] as Record<string, unknown>).leader = 3;
    const decoded = decodeTrainingRun(value);
    expect(decoded).toEqual(sampleTrainingRun);
    expect(Object.keys(decoded)).not.toContain('debug');
    expect(Object.keys(decoded.dataWindow)).toEqual(['startTime', 'endTime', 'partitions']);
    expect(Object.keys(decoded.dataWindow.partitions[0] ?? {})).not.toContain('leader');
  });

  it('map entries are data, not extra fields: they are kept', () => {
    const value = copy(sampleModelReady);
    (value.metrics as { extra: Record<string, number> }).extra.newMetric = 0.5;
    expect(decodeModelReady(value).metrics.extra.newMetric).toBe(0.5);
  });
});

describe('wrong types', () => {
  it.each([
    ['an int that is not an integer', { version: 1.5 }, 'version: expected int, got number 1.5'],
    ['an int out of range', { version: 2 ** 31 }, 'version: expected int, got number 2147483648'],
    ['a long beyond 2^53', { promotedAt: 2 ** 53 }, 'promotedAt: expected long (safe integer), got number 9007199254740992'],
    ['a timestamp as an ISO string', { promotedAt: '2026-01-01T00:00:00Z' }, 'promotedAt: expected long (safe integer), got string "2026-01-01T00:00:00Z"'],
    ['a string as a number', { modelId: 42 }, 'modelId: expected string, got number 42'],
    ['an unknown enum symbol', { cause: 'MAGIC' }, 'cause: expected one of PROMOTION|FORCED|ROLLBACK, got string "MAGIC"'],
    ['a map value', { metrics: { ...sampleModelReady.metrics, extra: { a: 'x' } } }, 'metrics.extra["a"]: expected double, got string "x"'],
    ['an array as a map', { metrics: { ...sampleModelReady.metrics, extra: [] } }, 'metrics.extra: expected map, got array'],
  ])('%s', (_label, patch, message) => {
    expect(() => decodeModelReady({ ...copy(sampleModelReady), ...patch })).toThrow(`invalid ModelReady: ${message}`);
  });

  it('a wrongly typed nullable field names the inner type', () => {
    expect(() => decodeModelReady({ ...copy(sampleModelReady), restoredVersion: 'six' })).toThrow(
      'restoredVersion: expected int, got string "six"',
    );
  });
});

describe('refinements', () => {
  it('offset ranges must not run backwards', () => {
    const value = copy(sampleTrainingRun);
    const range = (value.dataWindow as { partitions: Record<string, unknown>[] }).partitions[2] as Record<string, unknown>;
    range.endOffset = 10;
    expect(() => decodeTrainingRun(value)).toThrow('dataWindow.partitions[2].endOffset: must be >= startOffset (40112)');
  });

  it('time windows must not run backwards', () => {
    const value = copy(sampleRetrainRequested);
    (value.window as Record<string, unknown>).endTime = 0;
    expect(() => decodeRetrainRequested(value)).toThrow(/window\.endTime: must be >= startTime/);
  });

  it('hyperparameters must be a JSON object', () => {
    expect(() => decodeTrainingRun({ ...copy(sampleTrainingRun), hyperparameters: '{oops' })).toThrow(
      'hyperparameters: expected a JSON object string, got invalid JSON',
    );
    expect(() => decodeRetrainRequested({ ...copy(sampleRetrainRequested), hyperparameters: '[1]' })).toThrow(
      'hyperparameters: expected a JSON object string',
    );
  });

  it('run sequence and attempt, and model version, have lower bounds', () => {
    expect(() => decodeTrainingRun({ ...copy(sampleTrainingRun), sequence: -1, attempt: 0 })).toThrow(
      'invalid TrainingRun: sequence: must be >= 0; attempt: must be >= 1',
    );
    expect(() => decodeModelReady({ ...copy(sampleModelReady), version: 0 })).toThrow('version: must be >= 1');
  });
});

describe('decodeEvent', () => {
  it('refuses an unknown event name with a VALIDATION error', () => {
    const err = thrown(() => decodeEvent('Nope' as EventName, {}));
    expect(err.code).toBe(ErrorCodes.VALIDATION);
    expect(err.message).toContain("unknown platform event 'Nope'");
  });

  it('caps the message but counts every problem', () => {
    const err = thrown(() => decodeModelReady({}));
    expect(err.context.problems).toBe(10); // 11 fields, restoredVersion defaults to null
    expect(err.message).toMatch(/\(and 5 more\)$/);
  });
});
