/**
 * Narrow decoders at the edge: `decodeX(value: unknown): X` turns what avsc (or
 * the registry client, or an HTTP body) produced into our generated type, or
 * throws RoundhouseError(VALIDATION) naming every bad field path. The checks are
 * compiled from the same schemas the types are generated from, plus a few
 * refinements Avro cannot express.
 */
import { ErrorCodes, RoundhouseError } from '../errors';
import { EVENTS_NAMESPACE, PLATFORM_EVENTS, eventAvroType, type EventName } from './schemas';
import type { ModelEvaluated, ModelReady, RetrainRequested, TrainingCompleted, TrainingRun } from './types.generated';
import { compileValidator, type Problem, type Refinements } from './validate';

/** Each platform event's TypeScript type, by event name. */
export interface EventTypes {
  RetrainRequested: RetrainRequested;
  TrainingRun: TrainingRun;
  TrainingCompleted: TrainingCompleted;
  ModelEvaluated: ModelEvaluated;
  ModelReady: ModelReady;
}

/** Any platform event. */
export type PlatformEvent = EventTypes[EventName];

// Compile-time guard: EventTypes and PLATFORM_EVENTS name the same events.
const _sameEvents: [Exclude<EventName, keyof EventTypes> | Exclude<keyof EventTypes, EventName>] extends [never] ? true : false = true;

const MAX_PROBLEMS_IN_MESSAGE = 5;

function jsonObjectProblem(value: unknown, path: string): Problem[] {
  if (typeof value !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return [];
  } catch {
    return [{ path, message: 'expected a JSON object string, got invalid JSON' }];
  }
  return [{ path, message: 'expected a JSON object string' }];
}

const ns = (name: string): string => `${EVENTS_NAMESPACE}.${name}`;

/** Invariants the schema cannot state. Paths are relative to the record checked. */
const REFINEMENTS: Refinements = {
  [ns('PartitionRange')]: (r) => {
    const problems: Problem[] = [];
    if ((r.partition as number) < 0) problems.push({ path: 'partition', message: 'must be >= 0' });
    if ((r.startOffset as number) < 0) problems.push({ path: 'startOffset', message: 'must be >= 0' });
    if ((r.endOffset as number) < (r.startOffset as number)) {
      problems.push({ path: 'endOffset', message: `must be >= startOffset (${String(r.startOffset)})` });
    }
    return problems;
  },
  [ns('DataWindow')]: (r) =>
    (r.endTime as number) < (r.startTime as number)
      ? [{ path: 'endTime', message: `must be >= startTime (${String(r.startTime)})` }]
      : [],
  [ns('RetrainRequested')]: (r) => (r.hyperparameters === null ? [] : jsonObjectProblem(r.hyperparameters, 'hyperparameters')),
  [ns('TrainingRun')]: (r) => [
    ...jsonObjectProblem(r.hyperparameters, 'hyperparameters'),
    ...((r.sequence as number) < 0 ? [{ path: 'sequence', message: 'must be >= 0' }] : []),
    ...((r.attempt as number) < 1 ? [{ path: 'attempt', message: 'must be >= 1' }] : []),
  ],
  [ns('ModelReady')]: (r) => ((r.version as number) < 1 ? [{ path: 'version', message: 'must be >= 1' }] : []),
};

type Validator = ReturnType<typeof compileValidator>;
const VALIDATORS = new Map<EventName, Validator>();

function validatorFor(name: EventName): Validator {
  let validator = VALIDATORS.get(name);
  if (validator === undefined) {
    validator = compileValidator(eventAvroType(name), REFINEMENTS);
    VALIDATORS.set(name, validator);
  }
  return validator;
}

function validationError(name: EventName, problems: readonly Problem[]): RoundhouseError {
  const shown = problems
    .slice(0, MAX_PROBLEMS_IN_MESSAGE)
    .map((p) => `${p.path === '' ? '(root)' : p.path}: ${p.message}`)
    .join('; ');
  const more = problems.length > MAX_PROBLEMS_IN_MESSAGE ? ` (and ${problems.length - MAX_PROBLEMS_IN_MESSAGE} more)` : '';
  const first = problems[0];
  return new RoundhouseError(ErrorCodes.VALIDATION, `invalid ${name}: ${shown}${more}`, {
    context: { event: name, path: first === undefined ? '' : first.path, problems: problems.length },
  });
}

/** Decode any platform event by name; the generic form the codec uses. */
export function decodeEvent<N extends EventName>(name: N, value: unknown): EventTypes[N] {
  if (!Object.prototype.hasOwnProperty.call(PLATFORM_EVENTS, name)) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `unknown platform event '${String(name)}'`, { context: { event: String(name) } });
  }
  const { value: decoded, problems } = validatorFor(name)(value);
  if (problems.length > 0) throw validationError(name, problems);
  return decoded as EventTypes[N];
}

export function decodeRetrainRequested(value: unknown): RetrainRequested {
  return decodeEvent('RetrainRequested', value);
}

export function decodeTrainingRun(value: unknown): TrainingRun {
  return decodeEvent('TrainingRun', value);
}

export function decodeTrainingCompleted(value: unknown): TrainingCompleted {
  return decodeEvent('TrainingCompleted', value);
}

export function decodeModelEvaluated(value: unknown): ModelEvaluated {
  return decodeEvent('ModelEvaluated', value);
}

export function decodeModelReady(value: unknown): ModelReady {
  return decodeEvent('ModelReady', value);
}

/** The decoder of each event, for tables keyed by event name. */
export const EVENT_DECODERS: { readonly [N in EventName]: (value: unknown) => EventTypes[N] } = Object.freeze({
  RetrainRequested: decodeRetrainRequested,
  TrainingRun: decodeTrainingRun,
  TrainingCompleted: decodeTrainingCompleted,
  ModelEvaluated: decodeModelEvaluated,
  ModelReady: decodeModelReady,
});
