/** The model catalog: load it once at start-up, then read the frozen, typed Catalog. */
export { loadCatalog, parseCatalog } from './load';
export { findModel, requireModel } from './find';
export { catalogProblems, formatPath, type CatalogProblem } from './problems';
export { catalogJsonSchema, renderCatalogJsonSchema, CATALOG_JSON_SCHEMA_PATH } from './json-schema';
export { parseDuration, formatDuration, DURATION_UNITS_MS, type DurationResult } from './duration';
export { METRICS, METRIC_DIRECTIONS, METRIC_NAMES, GATE_LIMITS, isMetricName, limitsFor, type MetricInfo } from './metrics';
export { DRIFT_METHODS, DRIFT_METHOD_NAMES, isDriftMethod, supportsType, thresholdProblem, type DriftMethodInfo } from './drift-methods';
export { featureDriftOverride, scoreDriftOverride, type DriftTestOverride } from './drift-test';
export { MODEL_ID_MAX_LENGTH } from './schema';
export { RESERVED_ENV_PREFIX } from './schema-training';
export type * from './types';
export { hopFraction, sliceOf } from './types';
export { FAMILY_SEPARATOR, MODEL_REF_MAX_LENGTH, MODEL_REF_PATTERN, memberModelId, resolveModel, segmentOf } from './family';
