import type { z } from 'zod';
import type { ApiIdentity, ApiScope } from './tokens';

/**
 * One HTTP route described once: fastify registers it, zod validates its
 * inputs, and the OpenAPI document is generated from the same description.
 */
export interface RouteResponse {
  readonly description: string;
  readonly schema: z.ZodType;
}

export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

export interface RouteSpec<C, P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly method: 'GET' | 'POST';
  /** OpenAPI style: /v1/runs/{runId}. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** The scope a token needs (403 without it); null for the few public routes (the OpenAPI document). */
  readonly scope: ApiScope | null;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly responses: Readonly<Record<number, RouteResponse>>;
  /** `identity`: the caller, from its token (null on public routes). Audit fields come from here, never from the body. */
  handle(input: { readonly params: z.output<P>; readonly query: z.output<Q>; readonly body: z.output<B>; readonly identity: ApiIdentity | null }, context: C): Promise<Reply>;
}

/** A route with its types erased, so routes of different shapes share one table. */
export type AnyRoute<C> = RouteSpec<C, z.ZodType, z.ZodType, z.ZodType>;

export function defineRoute<C, P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType>(route: RouteSpec<C, P, Q, B>): AnyRoute<C> {
  return route as unknown as AnyRoute<C>;
}

/** /v1/runs/{runId} → /v1/runs/:runId */
export const fastifyPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');
