import { parseCatalog, type Catalog, type ModelSpec } from '../../../lib/catalog';
import { featureNames } from './stream';

export interface TestModelOptions {
  readonly id?: string;
  readonly features?: number;
  readonly window?: string;
  readonly consecutiveWindows?: number;
  readonly cooldown?: string;
  readonly bootstrapEvents?: number;
  readonly minSamples?: number;
  readonly volume?: string;
  readonly maxAge?: string;
  readonly featureTopic?: string;
  readonly labelTopic?: string;
  readonly family?: string;
  readonly extraTriggers?: string;
}

/** A catalog model over the synthetic stream (services/trigger/testing/stream.ts). */
export function testModelYaml(o: TestModelOptions = {}): string {
  const features = featureNames(o.features ?? 20)
    .map((name) => `        - { name: ${name}, type: numeric }`)
    .join('\n');
  return `
  - id: ${o.id ?? 'synthetic'}
${o.family ?? ''}
    data:
      featureTopic: ${o.featureTopic ?? 'features'}
      labelTopic: ${o.labelTopic ?? 'labels'}
      eventIdField: event_id
      eventTimeField: event_time
      labelTimeField: label_time
      labelField: is_fraud
      labelMaturity: 1h
      features:
${features}
        - { name: channel, type: categorical }
    triggers:
      drift:
        window: ${o.window ?? '{ type: time, size: 1m, allowedLateness: 5s }'}
        method: auto
        minSamples: ${o.minSamples ?? 500}
        driftShare: 0.1
        consecutiveWindows: ${o.consecutiveWindows ?? 1}
        bootstrapEvents: ${o.bootstrapEvents ?? 5000}
        falseDiscoveryRate: 0.01
      volume: ${o.volume ?? '{ enabled: false, minNewLabels: 1 }'}
      fraudRate: { enabled: false, maxRelativeChange: 0.5, minLabels: 1 }
      cooldown: ${o.cooldown ?? '1h'}
${o.maxAge ? `      maxAge: ${o.maxAge}` : ''}
${o.extraTriggers ?? ''}
    training:
      lookback: 1d
`;
}

export function testCatalogYaml(...models: string[]): string {
  return `version: 1\nmodels:\n${models.join('\n')}`;
}

export function testCatalog(...models: string[]): Catalog {
  return parseCatalog(testCatalogYaml(...models), 'test-catalog.yaml');
}

export function testModel(o: TestModelOptions = {}): ModelSpec {
  return testCatalog(testModelYaml(o)).models[0]!;
}

/**
 * The per-merchant family over testing/stream.ts familyStream (10 features,
 * 1-minute time windows, references bootstrapped from 600 events, labels mature
 * at once) that the family tests and benchmarks share.
 */
export function merchantFamilyYaml(o: { readonly maxSegments: number; readonly shards: number; readonly featureTopic?: string; readonly labelTopic?: string; readonly window?: string }): string {
  return testModelYaml({
    id: 'per-merchant',
    features: 10,
    ...(o.featureTopic ? { featureTopic: o.featureTopic } : {}),
    ...(o.labelTopic ? { labelTopic: o.labelTopic } : {}),
    window: o.window ?? '{ type: time, size: 1m, allowedLateness: 5s }',
    minSamples: 300,
    bootstrapEvents: 600,
    family: `    family: { segmentField: merchant_id, minMaturedLabels: 1, maxSegments: ${o.maxSegments}, shards: ${o.shards} }`,
  }).replace('labelMaturity: 1h', 'labelMaturity: 0s');
}
