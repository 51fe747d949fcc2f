import { ErrorCodes, RoundhouseError, isRoundhouseError } from '../errors';

/**
 * client-node errors → RoundhouseErrors, by duck typing (they come from another
 * realm under Jest, see client.ts). An ApiException carries the HTTP status in
 * `code` and the Status object in `body`; a network failure carries a string
 * `code` (ECONNREFUSED, ETIMEDOUT, …).
 */

interface ApiExceptionLike {
  readonly code: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly message?: string;
}

function isApiException(error: unknown): error is ApiExceptionLike {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number';
}

/** The Status object's reason and message, when the body is one (it may be a JSON string). */
function statusOf(body: unknown): { reason?: string; message?: string } {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { message: value as string };
    }
  }
  if (typeof value !== 'object' || value === null) return {};
  const { reason, message } = value as { reason?: unknown; message?: unknown };
  return { ...(typeof reason === 'string' ? { reason } : {}), ...(typeof message === 'string' ? { message } : {}) };
}

/** Seconds from a Retry-After header (429, some 5xx), as ms. */
function retryAfterMs(headers: Readonly<Record<string, string>> | undefined): number | undefined {
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

export function kubernetesError(error: unknown, operation: string, context: Record<string, string> = {}): RoundhouseError {
  if (isRoundhouseError(error)) return error;
  if (isApiException(error)) {
    const status = error.code;
    const { reason, message } = statusOf(error.body);
    const text = `${operation}: HTTP ${status}${reason ? ` ${reason}` : ''}${message ? `: ${message}` : ''}`;
    const ctx = { ...context, operation, status, reason: reason ?? null, retryAfterMs: retryAfterMs(error.headers) };
    if (status === 404) return new RoundhouseError(ErrorCodes.NOT_FOUND, text, { context: ctx, cause: error });
    if (status === 409) return new RoundhouseError(ErrorCodes.CONFLICT, text, { context: ctx, cause: error });
    if (status === 400 || status === 422) return new RoundhouseError(ErrorCodes.VALIDATION, text, { context: ctx, cause: error });
    // 401/403: credentials or RBAC; retriable so runs wait (queued) while an operator fixes the binding.
    // 429 and 5xx: the API server is throttling or unwell.
    return new RoundhouseError(ErrorCodes.KUBERNETES_UNAVAILABLE, text, { context: ctx, cause: error, retriable: status === 401 || status === 403 || status === 429 || status >= 500 });
  }
  const message = error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error) ? String((error as { message: unknown }).message) : String(error);
  // Network failures (connection refused/reset, DNS, TLS, timeouts) are worth retrying.
  return new RoundhouseError(ErrorCodes.KUBERNETES_UNAVAILABLE, `${operation}: ${message}`, { context: { ...context, operation }, cause: error });
}
