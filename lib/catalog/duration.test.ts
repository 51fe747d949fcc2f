import { formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['0s', 0],
    ['30s', 30_000],
    ['15m', 900_000],
    ['6h', 21_600_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    ['1.5h', 5_400_000],
    ['0.3h', 1_080_000], // would be 1079999.9999999998 in floating point
    ['0.5s', 500],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ['5 minutes', 'expected a duration'],
    ['-1h', 'expected a duration'],
    ['1.5.d', 'expected a duration'],
    ['', 'expected a duration'],
    ['30', 'expected a duration'],
    ['h', 'expected a duration'],
    ['1H', 'expected a duration'],
    ['1h30m', 'expected a duration'],
    [' 1h', 'expected a duration'],
    ['1y', 'expected a duration'],
    ['.5h', 'expected a duration'],
    ['1.5ms', 'not a whole number of milliseconds'],
    ['99999999999999999w', 'too long'],
  ])('rejects %j', (text, reason) => {
    const result = parseDuration(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [500, '500ms'],
    [1_500, '1500ms'],
    [30_000, '30s'],
    [21_600_000, '6h'],
    [1_209_600_000, '2w'],
    [86_400_000 * 3, '3d'],
  ])('%d → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
