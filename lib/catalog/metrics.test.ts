import { GATE_LIMITS, METRIC_DIRECTIONS, METRIC_NAMES, isMetricName, limitsFor } from './metrics';

describe('metric table', () => {
  it('knows the direction of every metric', () => {
    expect(METRIC_DIRECTIONS).toEqual({
      rocAuc: 'higher',
      prAuc: 'higher',
      recallAt1PctFpr: 'higher',
      precisionAtK: 'higher',
      logLoss: 'lower',
      brier: 'lower',
      expectedCalibrationError: 'lower',
    });
    expect(Object.isFrozen(METRIC_DIRECTIONS)).toBe(true);
  });

  it('offers only direction-correct limits', () => {
    expect(limitsFor('higher')).toEqual(['min', 'maxDrop', 'maxRelativeDrop']);
    expect(limitsFor('lower')).toEqual(['max', 'maxIncrease', 'maxRelativeIncrease']);
    expect(Object.entries(GATE_LIMITS).filter(([, l]) => l.relativeToChampion).map(([name]) => name)).toEqual([
      'maxDrop', 'maxRelativeDrop', 'maxIncrease', 'maxRelativeIncrease',
    ]);
  });

  it('recognises names exactly', () => {
    expect(METRIC_NAMES.every(isMetricName)).toBe(true);
    expect(isMetricName('rocauc')).toBe(false);
    expect(isMetricName('toString')).toBe(false);
  });
});
