import { createServiceMetrics } from '../lib/metrics';
import { createDispatcherMetrics, initialiseDispatcherCounters } from './dispatcher/metrics';
import { createEvaluatorMetrics, initialiseEvaluatorCounters } from './evaluator/metrics';
import { createTriggerMetrics, initialiseTriggerCounters } from './trigger/metrics';

/**
 * Counters with known label values exist at 0 before their first event: a series
 * that is born at 1 is invisible to increase(), which is how "Retrain requests
 * (24h)" read 0 for 2 requests on the dashboard.
 */
async function series(build: (m: ReturnType<typeof createServiceMetrics>) => void): Promise<string> {
  const metrics = createServiceMetrics('x');
  build(metrics);
  return metrics.registry.metrics();
}

describe('counters with known label values start at 0', () => {
  it('trigger: requests per reason, suppressions per reason, windows closed, per model', async () => {
    const text = await series((m) => initialiseTriggerCounters(createTriggerMetrics(m), ['card-fraud', 'merchant-fraud']));
    for (const model of ['card-fraud', 'merchant-fraud']) {
      for (const reason of ['DRIFT', 'VOLUME', 'AGE', 'PERFORMANCE']) expect(text).toContain(`roundhouse_x_retrain_requests_total{model="${model}",reason="${reason}"} 0`);
      for (const reason of ['cooldown', 'in-flight', 'not-eligible']) expect(text).toContain(`roundhouse_x_suppressed_total{model="${model}",reason="${reason}"} 0`);
      expect(text).toContain(`roundhouse_x_windows_closed_total{model="${model}"} 0`);
    }
  });

  it('evaluator: decisions per decision and mode, promotions per cause', async () => {
    const text = await series((m) => initialiseEvaluatorCounters(createEvaluatorMetrics(m), ['card-fraud']));
    expect(text).toContain('roundhouse_x_decisions_total{model="card-fraud",decision="PROMOTE",mode="RESCORED"} 0');
    expect(text).toContain('roundhouse_x_decisions_total{model="card-fraud",decision="REJECT",mode="REPORTED"} 0');
    for (const cause of ['PROMOTION', 'FORCED', 'ROLLBACK']) expect(text).toContain(`roundhouse_x_promotions_total{model="card-fraud",cause="${cause}"} 0`);
  });

  it('dispatcher: every legal transition, none of the illegal ones', async () => {
    const text = await series((m) => initialiseDispatcherCounters(createDispatcherMetrics(m), ['card-fraud']));
    expect(text).toContain('roundhouse_x_run_transitions_total{model="card-fraud",from="QUEUED",to="SUBMITTED"} 0');
    expect(text).toContain('roundhouse_x_run_transitions_total{model="card-fraud",from="RUNNING",to="SUCCEEDED"} 0');
    expect(text).not.toContain('from="SUBMITTED",to="SUCCEEDED"');
  });

  it('a counter that was incremented keeps its value (initialisation adds 0)', async () => {
    const metrics = createServiceMetrics('x');
    const trigger = createTriggerMetrics(metrics);
    trigger.requests.inc({ model: 'card-fraud', reason: 'DRIFT' });
    initialiseTriggerCounters(trigger, ['card-fraud']);
    expect(await metrics.registry.metrics()).toContain('roundhouse_x_retrain_requests_total{model="card-fraud",reason="DRIFT"} 1');
  });
});
