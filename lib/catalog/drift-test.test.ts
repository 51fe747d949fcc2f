import { ErrorCodes } from '../errors';
import { DRIFT_METHODS } from './drift-methods';
import { featureDriftOverride, scoreDriftOverride } from './drift-test';
import type { DriftPolicy, FeatureSpec } from './types';

const policy = (method: DriftPolicy['method'], threshold: number | null = null): DriftPolicy => ({
  enabled: true,
  window: { type: 'count', size: 1000, resolutionMs: 5000, allowedLatenessMs: 5000 },
  method,
  threshold,
  minSamples: 100,
  driftShare: 0.3,
  consecutiveWindows: 1,
  bootstrapEvents: 1000,
  falseDiscoveryRate: null,
  windowsPerFalseAlarm: null,
  minEffect: 0.02,
});

const feature = (drift: FeatureSpec['drift'] = null): FeatureSpec => ({ name: 'f', type: null, critical: false, drift });

describe('featureDriftOverride', () => {
  it.each([
    ['auto leaves the choice to lib/stats', policy('auto'), feature(), 'numeric', {}],
    ['model method and threshold', policy('ks', 0.01), feature(), 'numeric', { test: 'ks', threshold: 0.01 }],
    ['model method alone', policy('psi'), feature(), 'categorical', { test: 'psi' }],
    ['feature threshold wins', policy('psi', 0.3), feature({ method: null, threshold: 0.5, minEffect: null }), 'numeric', { test: 'psi', threshold: 0.5 }],
    ['feature method drops the model threshold', policy('psi', 0.3), feature({ method: 'chisquare', threshold: null, minEffect: null }), 'categorical', { test: 'chisquare' }],
    ['same method keeps the model threshold', policy('psi', 0.3), feature({ method: 'psi', threshold: null, minEffect: null }), 'numeric', { test: 'psi', threshold: 0.3 }],
    ['feature auto under a concrete model method', policy('ks', 0.01), feature({ method: 'auto', threshold: null, minEffect: null }), 'categorical', {}],
  ] as const)('%s', (_name, p, f, type, expected) => {
    expect(featureDriftOverride(p, f, type)).toEqual(expected);
  });

  it('refuses a method that does not fit the inferred type', () => {
    expect(() => featureDriftOverride(policy('ks'), feature(), 'categorical')).toThrow(expect.objectContaining({ code: ErrorCodes.CATALOG_INVALID }));
  });
});

describe('scoreDriftOverride', () => {
  it('passes a concrete method and threshold through, leaves auto open', () => {
    expect(scoreDriftOverride({ enabled: true, method: 'auto', threshold: null })).toEqual({});
    expect(scoreDriftOverride({ enabled: true, method: 'ks', threshold: 0.001 })).toEqual({ test: 'ks', threshold: 0.001 });
  });
});

describe('DRIFT_METHODS (from lib/stats)', () => {
  it('derives kinds, types and defaults from the statistics core', () => {
    expect(DRIFT_METHODS.ks).toMatchObject({ kind: 'pvalue', featureTypes: ['numeric'], defaultThreshold: 0.05, thresholdBelow: 1 });
    expect(DRIFT_METHODS.psi).toMatchObject({ kind: 'statistic', featureTypes: ['numeric', 'categorical'], thresholdBelow: null });
    expect(DRIFT_METHODS.z).toMatchObject({ kind: 'pvalue', featureTypes: ['categorical'] });
    expect(DRIFT_METHODS.chisquare.featureTypes).toEqual(['categorical']);
  });
});
