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
  it('first model on volume, drift against its profile, an explained rejection, then a drift-triggered promotion', async () => {
    const out: string[] = [];
    const summary = await runDemo({ events: 48_000, driftAt: 28_800, out: { write: (s) => out.push(s) > 0 }, env: {} });
    await summary.closeMetrics();

    expect(timeline(summary)).toEqual([
      'VOLUME  events 0–23,025, 21,536 rows / 252 frauds → run SUCCEEDED → PROMOTE → v1',
      'DRIFT   events 0–33,266, 31,777 rows / 342 frauds → run SUCCEEDED → REJECT (max-calibration-error 0.126 vs 0.1)',
      'DRIFT   events 0–40,825, 39,336 rows / 399 frauds → run SUCCEEDED → PROMOTE → v2',
    ]);
    // The drift is judged against v1's training profile, not the bootstrap reference.
    const drifts = summary.requests.filter((r) => r.reason === 'DRIFT');
    expect(drifts.map((r) => [r.championVersion, r.drift?.bootstrapReference])).toEqual([
      [1, false],
      [1, false],
    ]);
    expect(drifts[0]!.drift!.features.filter((f) => f.drifted).map((f) => f.feature)).toEqual(
      expect.arrayContaining(['amount', 'country', 'txn_count_1h', 'txn_count_24h', 'amount_sum_24h']),
    );
    // The champion and the promoted candidate were scored on the same holdout.
    const promotedEvaluation = summary.evaluations.find((e) => e.runId === summary.promotions[1]!.lineage.runId)!;
    expect(promotedEvaluation.mode).toBe('RESCORED');
    expect(promotedEvaluation.championMetrics!.rows).toBe(promotedEvaluation.candidateMetrics!.rows);
    // The rejection is explained in terms of the data it trained on.
    expect(explainRejections(summary).join('\n')).toContain('every post-drift event fell in the holdout and training saw none');
  });
});
