import { decide, releaseWrite } from './decide';
import { LEADER_URL_ANNOTATION, type LeaseRecord } from './types';

const lease = (over: Partial<LeaseRecord> = {}): LeaseRecord => ({
  holder: 'other_1',
  leaseDurationMs: 15_000,
  acquireTime: 1_000,
  renewTime: 5_000,
  transitions: 4,
  resourceVersion: '42',
  labels: { team: 'ml' },
  annotations: { note: 'kept' },
  ...over,
});

const base = { identity: 'me_1', observedAt: 10_000, leaseDurationMs: 12_000, advertiseUrl: null };

describe('decide', () => {
  it.each([
    ['no Lease: create it with epoch 1', null, 10_000, { kind: 'create', transitions: 1 }],
    ['ours: renew, same epoch', lease({ holder: 'me_1' }), 10_000, { kind: 'update', takeover: false, transitions: 4 }],
    ['held by another, just seen: wait the full duration', lease(), 10_000, { kind: 'wait', until: 25_000 }],
    ['held by another, 1 ms before expiry on our clock: wait', lease(), 24_999, { kind: 'wait', until: 25_000 }],
    ['held by another, expired on our clock: take over, next epoch', lease(), 25_000, { kind: 'update', takeover: true, transitions: 5 }],
    ['released (no holder): take over at once, next epoch', lease({ holder: null }), 10_000, { kind: 'update', takeover: true, transitions: 5 }],
    ['a zero duration (written by something else): expired at once', lease({ leaseDurationMs: 0 }), 10_000, { kind: 'update', takeover: true, transitions: 5 }],
  ] as const)('%s', (_name, current, now, expected) => {
    const step = decide({ ...base, lease: current, now });
    expect(step.kind).toBe(expected.kind);
    if (step.kind === 'wait') expect(step.until).toBe((expected as { until: number }).until);
    if (step.kind === 'update') {
      expect(step.takeover).toBe((expected as { takeover: boolean }).takeover);
      expect(step.resourceVersion).toBe('42');
    }
    if (step.kind !== 'wait') {
      expect(step.write.transitions).toBe((expected as { transitions: number }).transitions);
      expect(step.write.holder).toBe('me_1');
      expect(step.write.renewTime).toBe(now);
      expect(step.write.leaseDurationMs).toBe(12_000);
    }
  });

  it("judges expiry by the holder's duration, from when we saw it, never from its renewTime (another clock)", () => {
    const skewed = lease({ renewTime: 999_999_999, leaseDurationMs: 3_000 });
    expect(decide({ ...base, lease: skewed, now: 12_999 }).kind).toBe('wait');
    expect(decide({ ...base, lease: skewed, now: 13_000 }).kind).toBe('update');
  });

  it('keeps the acquire time on renewal and sets it on takeover', () => {
    const renew = decide({ ...base, lease: lease({ holder: 'me_1' }), now: 20_000 });
    const take = decide({ ...base, lease: lease({ holder: null }), now: 20_000 });
    expect(renew.kind === 'update' && renew.write.acquireTime).toBe(1_000);
    expect(take.kind === 'update' && take.write.acquireTime).toBe(20_000);
  });

  it('carries labels and annotations over (a PUT replaces the object) and advertises our URL instead of the last one', () => {
    const step = decide({ ...base, advertiseUrl: 'http://10.0.0.7:8080', lease: lease({ holder: null, annotations: { note: 'kept', [LEADER_URL_ANNOTATION]: 'http://old:8080' } }), now: 10_000 });
    expect(step.kind === 'update' && step.write.labels).toEqual({ team: 'ml' });
    expect(step.kind === 'update' && step.write.annotations).toEqual({ note: 'kept', [LEADER_URL_ANNOTATION]: 'http://10.0.0.7:8080' });
    const silent = decide({ ...base, lease: lease({ holder: null, annotations: { [LEADER_URL_ANNOTATION]: 'http://old:8080' } }), now: 10_000 });
    expect(silent.kind === 'update' && silent.write.annotations).toEqual({});
  });

  it('releases with no holder, the same epoch and no advertised URL', () => {
    const write = releaseWrite(lease({ holder: 'me_1', annotations: { note: 'kept', [LEADER_URL_ANNOTATION]: 'http://me:8080' } }), 30_000);
    expect(write).toEqual({ holder: null, leaseDurationMs: 15_000, acquireTime: 1_000, renewTime: 30_000, transitions: 4, labels: { team: 'ml' }, annotations: { note: 'kept' } });
  });
});
