/**
 * Roundhouse's event contracts: the platform events' schemas (standalone, ready
 * to register), their default topics, generated TypeScript types, narrow
 * decoders, samples and the BACKWARD-compatibility check. See schemas/README.md.
 */
export * from './types.generated';
export { DEFAULT_TOPICS, MODEL_READY_TOPIC_CONFIG, dlqTopicFor, subjectFor, type DefaultTopic } from './topics';
export {
  EVENTS_NAMESPACE,
  EVENT_NAMES,
  PLATFORM_EVENTS,
  eventAvroType,
  eventForTopic,
  findSchemasDir,
  loadEventSchema,
  loadSharedTypes,
  toAvroType,
  type AvscSchema,
  type EventName,
  type FieldSchema,
  type RecordSchema,
} from './schemas';
export {
  EVENT_DECODERS,
  decodeEvent,
  decodeModelEvaluated,
  decodeModelReady,
  decodeRetrainRequested,
  decodeTrainingCompleted,
  decodeTrainingRun,
  type EventTypes,
  type PlatformEvent,
} from './decode';
export {
  checkAgainstReleases,
  checkBackwardCompatible,
  loadReleasedVersions,
  type CompatibilityProblem,
  type CompatibilityResult,
  type ReleasedVersion,
} from './compat';
export { compileValidator, type Problem, type Refinement, type Refinements } from './validate';
