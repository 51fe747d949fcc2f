/**
 * Bounds on what a request may ask for (issue 14). Hyperparameters travel into
 * the run spec, the RetrainRequested event and the Job; unbounded, a 200 KB value
 * made a Job whose container could not start and 4,200 levels of nesting
 * overflowed JSON.stringify's stack (a 500). Data windows bound how much
 * history a trainer reads.
 */
export const API_LIMITS = {
  /** Serialized (JSON, UTF-8) size of the request's hyperparameters object. */
  hyperparametersMaxBytes: 64 * 1024,
  /** Nesting depth of the hyperparameters object: 1 = the object itself. */
  hyperparametersMaxDepth: 32,
  /** Keys of the hyperparameters object itself. */
  hyperparametersMaxKeys: 256,
  /** Length of a hyperparameter name. */
  hyperparameterNameMaxLength: 200,
  /** No event data predates this: a window starting earlier is a mistake (epoch 0 is the usual one). */
  dataWindowEarliestMs: Date.UTC(2000, 0, 1),
  /** A static upper bound for the schema; the live bound is now + dataWindowFutureSkewMs. */
  dataWindowLatestMs: Date.UTC(2100, 0, 1),
  /** How far past the dispatcher's clock a window may end (clock skew between client and server). */
  dataWindowFutureSkewMs: 5 * 60_000,
} as const;

/**
 * Whether a parsed JSON value nests deeper than `limit` (a scalar is depth 0,
 * `{}` depth 1). Iterative: the value may be nested deeper than the stack allows.
 * Linear in the value's size, which the 1 MiB body limit bounds.
 */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    const here = depth + 1;
    if (here > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push({ value: child, depth: here });
  }
  return false;
}

/** UTF-8 bytes of the value's JSON; call only once the depth is known to be bounded. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
