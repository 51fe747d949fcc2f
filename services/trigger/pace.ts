import type { Clock } from '../../lib/clock';

/**
 * How often a stage commits while it is behind. A commit writes the whole
 * checkpoint of its partition (for a family: every member's open sketches), so
 * at a fixed cadence its cost grows with the state, not with the events: a
 * 10,000-merchant family spent most of its time re-encoding checkpoints every
 * second. A partition that has reached the cadence (events or time) commits
 * only once at least COST_FACTOR times its last commit's duration has passed
 * since that commit ended, which keeps committing under about a tenth of the
 * stage's time whatever the state's size. A caught-up ingest partition
 * commits at once, as before, so nothing waits at the end of the log. The judge
 * is caught up with the partials topic most of the time (partials come in
 * bursts, one per ingest commit), and each of its commits rewrites the touched
 * shards' state — for a bootstrapping family, every member's sketches: a
 * caught-up judge partition waits out the rest of its pace and then commits
 * what it has, so the partials that arrive meanwhile share the next commit.
 * That wait is ten times the last commit's *build* time (encoding the
 * checkpoint: CPU, which every partition's work competes for), not its whole
 * duration: a transaction's round trips cost the event loop nothing, and
 * waiting ten of them after the last partials of the stream (1 model: ~1 s a
 * commit on a busy broker, a build of a few ms) only delayed the final judgement.
 * While it waits, the judge polls its partition's end (lib/bus recordsArrive):
 * partials that arrive end the wait at once, and the next batch's commit takes
 * them along with the waiting one; and a batch after which every input
 * partition says it is at the end of its log, where at the last commit one did
 * not (the end of a backlog), commits without waiting. (Sleeping out the whole
 * wait with the partition blocked had the last partials of a 200k-event
 * backlog wait ~1 s behind a mid-stream wait of 10 × a 130 ms build.)
 * Only when data is made durable changes: the outputs, and a replay from any
 * commit, are the same.
 */
export class CommitPace {
  static readonly COST_FACTOR = 10;
  private readonly last = new Map<string, { endedAt: number; tookMs: number; buildMs: number }>();

  constructor(private readonly clock: Clock) {}

  /** Whether a partition that has (or has not) reached the cadence commits now. */
  due(key: string, cadenceReached: boolean): boolean {
    return cadenceReached && this.waitMs(key) === 0;
  }

  /** How long until `key` may commit again (0: now), paced by the last commit's whole duration. */
  waitMs(key: string): number {
    const last = this.last.get(key);
    return last === undefined ? 0 : Math.max(0, last.endedAt + CommitPace.COST_FACTOR * last.tookMs - this.clock.now());
  }

  /** How long a caught-up partition waits before committing (0: now), paced by the last commit's build time. */
  caughtUpWaitMs(key: string): number {
    const last = this.last.get(key);
    return last === undefined ? 0 : Math.max(0, last.endedAt + CommitPace.COST_FACTOR * last.buildMs - this.clock.now());
  }

  /**
   * A commit of `key` has ended: it began at `startedAt`, its outputs and
   * checkpoint were built by `builtAt` (the rest was the transaction).
   */
  committed(key: string, startedAt: number, builtAt = startedAt): void {
    const now = this.clock.now();
    this.last.set(key, { endedAt: now, tookMs: now - startedAt, buildMs: Math.max(0, builtAt - startedAt) });
  }
}
