import { loadKubernetesClient } from '../kubernetes';
import { decodeLease, encodeLease } from './client-node';

describe('decodeLease', () => {
  const metadata = { name: 'roundhouse-dispatcher', namespace: 'ns', resourceVersion: '812' };

  it('reads a Lease as the API server returns it (MicroTime fields arrive as strings)', () => {
    const lease = decodeLease({
      metadata: { ...metadata, labels: { a: 'b' }, annotations: { 'roundhouse.dev/leader-url': 'http://10.0.0.1:8080' } },
      spec: { holderIdentity: 'pod-a_1f2e', leaseDurationSeconds: 15, acquireTime: '2026-01-02T03:04:05.123456Z', renewTime: '2026-01-02T03:04:07.000000Z', leaseTransitions: 3 },
    });
    expect(lease).toEqual({
      holder: 'pod-a_1f2e',
      leaseDurationMs: 15_000,
      acquireTime: Date.parse('2026-01-02T03:04:05.123Z'),
      renewTime: Date.parse('2026-01-02T03:04:07Z'),
      transitions: 3,
      resourceVersion: '812',
      labels: { a: 'b' },
      annotations: { 'roundhouse.dev/leader-url': 'http://10.0.0.1:8080' },
    });
  });

  it('reads Dates too (objects built in code)', () => {
    expect(decodeLease({ metadata, spec: { renewTime: new Date(5_000) } }).renewTime).toBe(5_000);
  });

  it.each([
    ['no spec', { metadata }],
    ['a null spec', { metadata, spec: null }],
    ['empty holder (released)', { metadata, spec: { holderIdentity: '' } }],
    ['nulls everywhere', { metadata: { ...metadata, labels: null, annotations: null }, spec: { holderIdentity: null, leaseDurationSeconds: null, leaseTransitions: null, renewTime: null } }],
    ['garbage values', { metadata: { ...metadata, annotations: { ok: 'x', bad: 3 } }, spec: { leaseDurationSeconds: 'long', leaseTransitions: -2, renewTime: 'yesterday' } }],
  ])('%s: free, epoch 0, no times', (_name, raw) => {
    const lease = decodeLease(raw);
    expect(lease).toMatchObject({ holder: null, leaseDurationMs: 0, transitions: 0, renewTime: null, acquireTime: null, resourceVersion: '812' });
    expect(Object.values(lease.annotations).every((v) => typeof v === 'string')).toBe(true);
  });

  it('ignores fields it does not know (newer API servers: strategy, preferredHolder)', () => {
    expect(decodeLease({ metadata: { ...metadata, uid: 'u' }, spec: { holderIdentity: 'x', strategy: 'OldestEmulationVersion', preferredHolder: 'y' } }).holder).toBe('x');
  });

  it('refuses a Lease without a resourceVersion: it could not be updated safely', () => {
    expect(() => decodeLease({ metadata: { name: 'x' }, spec: {} }, 'ns/x')).toThrow(/ns\/x: .*resourceVersion/);
    expect(() => decodeLease(null)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});

describe('encodeLease', () => {
  const write = { holder: 'pod-a_1f2e', leaseDurationMs: 15_000, acquireTime: Date.UTC(2026, 0, 2, 3, 4, 5, 123), renewTime: Date.UTC(2026, 0, 2, 3, 4, 7), transitions: 4, labels: { l: '1' }, annotations: { a: '2' } };

  it('writes MicroTime as RFC 3339 with six fractional digits, as the API server requires', () => {
    const body = encodeLease(loadKubernetesClient(), { name: 'l', namespace: 'ns', resourceVersion: '9' }, write);
    const json = JSON.parse(JSON.stringify(body)) as { spec: Record<string, unknown>; metadata: Record<string, unknown> };
    expect(json.spec).toEqual({ holderIdentity: 'pod-a_1f2e', leaseDurationSeconds: 15, acquireTime: '2026-01-02T03:04:05.123000Z', renewTime: '2026-01-02T03:04:07.000000Z', leaseTransitions: 4 });
    expect(json.metadata).toEqual({ name: 'l', namespace: 'ns', resourceVersion: '9', labels: { l: '1' }, annotations: { a: '2' } });
  });

  it('round-trips through decodeLease', () => {
    const body = JSON.parse(JSON.stringify(encodeLease(loadKubernetesClient(), { name: 'l', namespace: 'ns', resourceVersion: '9' }, write))) as unknown;
    expect(decodeLease(body)).toEqual({ ...write, resourceVersion: '9' });
  });

  it('a release writes an empty holder; durations round up to whole seconds, at least one', () => {
    const body = encodeLease(loadKubernetesClient(), { name: 'l', namespace: 'ns' }, { ...write, holder: null, leaseDurationMs: 0, acquireTime: null });
    expect(body.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, acquireTime: undefined });
    expect(encodeLease(loadKubernetesClient(), { name: 'l', namespace: 'ns' }, { ...write, leaseDurationMs: 1_500 }).spec?.leaseDurationSeconds).toBe(2);
  });
});
