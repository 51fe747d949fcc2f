import { JOB_NAME_MAX, isDns1123Label, jobNameFor, runIdFor, seedFor } from './names';

describe('runIdFor', () => {
  it('is deterministic: the same request gives the same run', () => {
    expect(runIdFor('rr-1')).toBe(runIdFor('rr-1'));
    expect(runIdFor('rr-1')).not.toBe(runIdFor('rr-2'));
  });

  it('is a valid label value (the Job carries it as a label)', () => {
    const id = runIdFor('rr-fraud-card-v1-drift-7f3c9a1e');
    expect(id).toMatch(/^run-[0-9a-f]{20}$/);
    expect(id.length).toBeLessThanOrEqual(63);
  });
});

describe('jobNameFor', () => {
  const run = runIdFor('rr-1');

  it.each([
    ['card-fraud', /^rh-card-fraud-[0-9a-f]{10}$/],
    ['a'.repeat(40), new RegExp(`^rh-${'a'.repeat(40)}-[0-9a-f]{10}$`)],
    ['Merchant_Fraud.MRC 48213', /^rh-merchant-fraud-mrc-48213-[0-9a-f]{10}$/],
    ['x'.repeat(200), /^rh-x{49}-[0-9a-f]{10}$/],
    ['---', /^rh-[0-9a-f]{10}$/],
    ['ends-with-dash-after-cut-' + 'y'.repeat(23) + '-zzz', /^rh-ends-with-dash-after-cut-y{23}-[0-9a-f]{10}$/],
  ])('model %s → %s', (modelId, pattern) => {
    const name = jobNameFor(modelId, run, 'aaaaaaaa');
    expect(name).toMatch(pattern);
    expect(name.length).toBeLessThanOrEqual(JOB_NAME_MAX);
    expect(isDns1123Label(name)).toBe(true);
  });

  it('is deterministic per run and differs between runs of one model', () => {
    expect(jobNameFor('m', run, 'aaaaaaaa')).toBe(jobNameFor('m', run, 'aaaaaaaa'));
    expect(jobNameFor('m', run, 'aaaaaaaa')).not.toBe(jobNameFor('m', runIdFor('rr-2'), 'aaaaaaaa'));
  });

  it('differs between attempts of one run id (a request id reused after retention), and keeps the old name without a nonce', () => {
    expect(jobNameFor('m', run, 'aaaaaaaa')).not.toBe(jobNameFor('m', run, 'bbbbbbbb'));
    expect(jobNameFor('m', run, 'aaaaaaaa')).not.toBe(jobNameFor('m', run, null));
    // The name a run recorded before nonces was given, so its Job is still found.
    expect(jobNameFor('m', runIdFor('rr-1'), null)).toBe('rh-m-55af12953b');
  });

  it.each(['', 'A', '-a', 'a-', 'a_b', 'a'.repeat(64)])('rejects %j as a DNS-1123 label', (name) => {
    expect(isDns1123Label(name)).toBe(false);
  });
});

describe('seedFor', () => {
  it('is a stable non-negative 31-bit integer', () => {
    const seed = seedFor('run-1');
    expect(seed).toBe(seedFor('run-1'));
    expect(Number.isInteger(seed)).toBe(true);
    expect(seed).toBeGreaterThanOrEqual(0);
    expect(seed).toBeLessThanOrEqual(0x7fffffff);
    expect(seedFor('run-2')).not.toBe(seed);
  });
});
