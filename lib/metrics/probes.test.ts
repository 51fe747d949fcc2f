import { createServiceMetrics, Readiness, startProbeServer } from './index';

describe('probe server', () => {
  it('serves metrics, liveness, and readiness that follows the checks', async () => {
    const metrics = createServiceMetrics('test');
    metrics.counter('events_total', 'Events seen.', ['topic']).inc({ topic: 'fraud.features' }, 3);
    const readiness = new Readiness();
    const consuming = readiness.flag('consumer');
    const server = await startProbeServer({ registry: metrics.registry, readiness });
    try {
      const body = await (await fetch(`${server.url}/metrics`)).text();
      expect(body).toContain('roundhouse_test_events_total{topic="fraud.features"} 3');
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

      const notReady = await fetch(`${server.url}/readyz`);
      expect(notReady.status).toBe(503);
      consuming.set(true);
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, checks: { consumer: { ready: true } } });
    } finally {
      await server.close();
    }
  });

  it('is not ready with no checks registered', () => {
    expect(new Readiness().report().ready).toBe(false);
  });

  it('returns the same metric when a name is registered twice, and rejects bad names', () => {
    const metrics = createServiceMetrics('svc');
    expect(metrics.counter('a_total', 'A.')).toBe(metrics.counter('a_total', 'A.'));
    expect(() => metrics.counter('Bad-Name', 'x')).toThrow(/invalid metric name/);
    expect(() => createServiceMetrics('Svc')).toThrow(/invalid service name/);
  });
});
