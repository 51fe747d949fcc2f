import { explainRejections, runDemo, timeline } from './demo';

/**
 * The demo end to end on the embedded bus, as `npm run demo` runs it: the whole
 * timeline is asserted, not just the exit code. The demo publishes in lockstep
 * with the loop, so these lines are a function of the seed alone — the same on a
 * fast machine, on one core or under load (issue 10). No bound here depends on
 * the machine's speed: the timeout only stops a hung run.
 */
jest.setTimeout(900_000);

describe('npm run demo (embedded bus, default story)', () => {
  it('first model on volume, then drift-triggered promotions, each judged against the latest champion', async () => {
    const out: string[] = [];
    const summary = await runDemo({ events: 48_000, driftAt: 28_800, out: { write: (s) => out.push(s) > 0 }, env: {} });
    await summary.closeMetrics();

    expect(timeline(summary)).toEqual([
      'VOLUME  events 0–18,000, 16,500 rows / 179 frauds → run SUCCEEDED → PROMOTE → v1',
      'DRIFT   events 0–32,000, 30,500 rows / 315 frauds → run SUCCEEDED → PROMOTE → v2',
      'DRIFT   events 0–38,000, 36,500 rows / 363 frauds → run SUCCEEDED → PROMOTE → v3',
      'DRIFT   events 0–44,000, 42,500 rows / 416 frauds → run SUCCEEDED → PROMOTE → v4',
    ]);
    // Each drift is judged against the latest champion's training profile, not the bootstrap reference.
    const drifts = summary.requests.filter((r) => r.reason === 'DRIFT');
    expect(drifts.map((r) => [r.championVersion, r.drift?.bootstrapReference])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    // Windows are event-time slices of the whole topic (5 s = 250 events here): boundaries fall on them.
    expect(drifts.map((r) => (r.drift!.windowEnd - r.drift!.windowStart) % 5_000)).toEqual([0, 0, 0]);
    expect(drifts[0]!.drift!.features.filter((f) => f.drifted).map((f) => f.feature)).toEqual(
      expect.arrayContaining(['amount', 'country', 'txn_count_1h', 'txn_count_24h', 'amount_sum_24h']),
    );
    // The champion and the promoted candidate were scored on the same holdout.
    const promotedEvaluation = summary.evaluations.find((e) => e.runId === summary.promotions[1]!.lineage.runId)!;
    expect(promotedEvaluation.mode).toBe('RESCORED');
    expect(promotedEvaluation.championMetrics!.rows).toBe(promotedEvaluation.candidateMetrics!.rows);
    // Nothing was rejected, so there is nothing to explain.
    expect(explainRejections(summary)).toEqual([]);
  });
});
