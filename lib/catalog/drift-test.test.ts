import { featureDriftTest, scoreDriftTest } from './drift-test';
import { ErrorCodes } from '../errors';
import type { DriftPolicy, FeatureSpec } from './types';

const policy = (method: DriftPolicy['method'], threshold: number | null = null): DriftPolicy => ({
  enabled: true,
  window: { type: 'count', size: 1000 },
  method,
  threshold,
  minSamples: 100,
  driftShare: 0.3,
  consecutiveWindows: 1,
  bootstrapEvents: 1000,
  falseDiscoveryRate: null,
});

const feature = (drift: FeatureSpec['drift'] = null): FeatureSpec => ({ name: 'f', type: null, critical: false, drift });

describe('featureDriftTest', () => {
  it.each([
    ['auto, numeric', policy('auto'), feature(), 'numeric', { method: 'psi', kind: 'statistic', threshold: 0.2 }],
    ['auto, categorical', policy('auto'), feature(), 'categorical', { method: 'jensen_shannon', kind: 'statistic', threshold: 0.1 }],
    ['model method and threshold', policy('ks', 0.01), feature(), 'numeric', { method: 'ks', kind: 'pvalue', threshold: 0.01 }],
    ['feature threshold wins', policy('psi', 0.3), feature({ method: null, threshold: 0.5 }), 'numeric', { method: 'psi', kind: 'statistic', threshold: 0.5 }],
    ['feature method drops the model threshold', policy('psi', 0.3), feature({ method: 'chi_square', threshold: null }), 'categorical', { method: 'chi_square', kind: 'pvalue', threshold: 0.05 }],
    ['feature auto under a concrete model method', policy('ks', 0.01), feature({ method: 'auto', threshold: null }), 'categorical', { method: 'jensen_shannon', kind: 'statistic', threshold: 0.1 }],
  ] as const)('%s', (_name, p, f, type, expected) => {
    expect(featureDriftTest(p, f, type)).toEqual(expected);
  });

  it('refuses a method that does not fit the inferred type', () => {
    expect(() => featureDriftTest(policy('ks'), feature(), 'categorical')).toThrow(expect.objectContaining({ code: ErrorCodes.CATALOG_INVALID }));
  });
});

describe('scoreDriftTest', () => {
  it('resolves auto to psi with its default threshold', () => {
    expect(scoreDriftTest({ enabled: true, method: 'auto', threshold: null })).toEqual({ method: 'psi', kind: 'statistic', threshold: 0.2 });
    expect(scoreDriftTest({ enabled: true, method: 'ks', threshold: 0.001 })).toEqual({ method: 'ks', kind: 'pvalue', threshold: 0.001 });
  });
});
