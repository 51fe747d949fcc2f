import { Readiness, type ReadinessCheck } from '../metrics';
import type { Leadership } from './types';

/**
 * Readiness of a service with a standby (documented in docs/leader-election.md):
 *
 * - the leader is ready when its own checks pass (consumers assigned, state rebuilt);
 * - a standby is *ready*: it answers (the dispatcher's API forwards to the leader),
 *   it can take over (it read the Lease within the lease duration), and a
 *   Deployment rollout or a PodDisruptionBudget must count it as available.
 *   A standby reported unready would stall every rolling update (the new pod
 *   is a standby until the old leader goes) and block every drain;
 * - a candidate that cannot read the Lease, or a process that lost it, is not ready.
 *
 * The service registers its checks on the returned Readiness as usual; they
 * count only while this process leads. One more check, `leader`, says which
 * role this process has and whom it follows.
 */
export function leaderReadiness(outer: Readiness, leadership: Leadership, options: { readonly now: () => number; readonly staleAfterMs: number }): Readiness {
  outer.register('leader', () => {
    const s = leadership.status();
    switch (s.role) {
      case 'leader':
        return { ready: true, detail: `leader, epoch ${s.epoch}` };
      case 'candidate': {
        const fresh = s.lastContactAt !== null && options.now() - s.lastContactAt <= options.staleAfterMs;
        if (!fresh) return { ready: false, detail: s.lastContactAt === null ? 'standby: the lease has not been read yet' : 'standby: cannot read the lease' };
        return { ready: true, detail: `standby; leader ${s.observedHolder ?? 'none'} (epoch ${s.observedEpoch ?? '-'})` };
      }
      default:
        return { ready: false, detail: s.reason ? `${s.role}: ${s.reason}` : s.role };
    }
  });
  return new GatedReadiness(outer, leadership);
}

class GatedReadiness extends Readiness {
  constructor(
    private readonly outer: Readiness,
    private readonly leadership: Leadership,
  ) {
    super();
  }

  override register(name: string, check: ReadinessCheck): void {
    this.outer.register(name, () => (this.leadership.status().role === 'leader' ? check() : { ready: true, detail: 'standby: not consuming' }));
  }

  override report(): ReturnType<Readiness['report']> {
    return this.outer.report();
  }
}
