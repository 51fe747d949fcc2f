import type { z } from 'zod';
import { ErrorCodes, errorCode, errorMessage, isRetriable } from '../../../lib/errors';
import type { ErrorBody } from './schemas';

/** An error with its HTTP answer: status, stable code, message and the field at fault. */
export class ApiError extends Error {
  readonly isApiError = true as const;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

const isApiError = (error: unknown): error is ApiError => typeof error === 'object' && error !== null && (error as { isApiError?: unknown }).isApiError === true;

/** The first problem of a failed parse, naming the field (dotted path, prefixed by `where` for params and query). */
export function validationError(error: z.ZodError, where: 'body' | 'params' | 'query'): ApiError {
  const issue = error.issues[0]!;
  let path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') path = [...path, issue.keys[0] ?? ''];
  const field = path.length > 0 ? path.join('.') : where;
  const message = issue.code === 'unrecognized_keys' ? `${field}: unknown field` : `${field}: ${issue.message}`;
  return new ApiError(400, 'VALIDATION', message, field);
}

/** Any thrown value → status and body. Our typed errors are matched by code (STYLE.md item 7). */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (isApiError(error)) return { status: error.status, body: { error: { code: error.code, message: error.message, field: error.field } } };
  const code = errorCode(error);
  const context = (error as { context?: Record<string, unknown> }).context ?? {};
  const field = typeof context.field === 'string' ? context.field : null;
  const reply = (status: number, apiCode: string, message = errorMessage(error)) => ({ status, body: { error: { code: apiCode, message, field } } });
  switch (code) {
    case ErrorCodes.NOT_FOUND:
      return reply(404, 'NOT_FOUND');
    case ErrorCodes.CONFLICT:
      return reply(409, 'CONFLICT');
    case ErrorCodes.VALIDATION:
    case ErrorCodes.BAD_REQUEST:
      return reply(400, 'VALIDATION');
    default:
      if (isRetriable(error)) return reply(503, 'UNAVAILABLE', `temporarily unavailable, retry later: ${errorMessage(error)}`);
      return reply(500, 'INTERNAL', 'internal error');
  }
}
