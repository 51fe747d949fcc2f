/** Deterministic seeded data generators for tests, the demo and benchmarks. See README.md. */
export { bernoulli, exponential, logNormal, mixSeed, mulberry32, normal, pick, poisson, weightedIndex, type Random } from './random';
export {
  DEFAULT_START_TIME,
  DRIFT_AFFECTS,
  createCardStream,
  generateCardEvents,
  labelEvents,
  type CardDrift,
  type CardEvent,
  type CardStream,
  type CardStreamOptions,
  type CardTransaction,
  type Chargeback,
} from './cards';
export { generateTabular, type TabularDataset, type TabularOptions } from './tabular';
