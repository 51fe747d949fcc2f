import { Clock, backoffDelay } from '../../../../lib/clock';
import { isRetriable, isRoundhouseError } from '../../../../lib/errors';

export interface RetryOptions {
  /** Total tries, the first included. */
  readonly attempts: number;
  readonly initialMs: number;
  readonly maxMs: number;
  readonly clock: Clock;
  readonly random?: () => number;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

const retryAfter = (error: unknown): number => {
  const value = isRoundhouseError(error) ? error.context.retryAfterMs : undefined;
  return typeof value === 'number' ? value : 0;
};

/**
 * Retry a call on retriable errors (429, 5xx, network) with exponential backoff
 * and jitter, waiting at least what a Retry-After header asked for. Anything not
 * retriable (404, 409, 422) is the caller's to handle and is thrown at once.
 */
export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isRetriable(error) || attempt + 1 >= options.attempts) throw error;
      const delay = Math.max(retryAfter(error), backoffDelay(attempt, { initialMs: options.initialMs, maxMs: options.maxMs, random: options.random }));
      options.onRetry?.(error, attempt + 1, delay);
      await new Promise<void>((resolve) => options.clock.schedule(delay, resolve));
    }
  }
}
