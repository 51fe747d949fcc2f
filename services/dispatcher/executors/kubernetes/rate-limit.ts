import type { Clock } from '../../../../lib/clock';

/**
 * A client-side token bucket (client-go's default is 5 QPS, burst 10): `burst`
 * calls go at once, then `qps` per second. Waiters reserve their token, so they
 * are served in arrival order and the rate holds under any concurrency.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`invalid rate limit: qps ${qps}, burst ${burst}`);
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Milliseconds the caller must wait for its token (0: go now). The token is taken either way. */
  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.qps);
  }

  take(): Promise<void> {
    const wait = this.reserve();
    return wait === 0 ? Promise.resolve() : new Promise((resolve) => this.clock.schedule(wait, resolve));
  }
}
