import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../../lib/log';
import type { DispatcherMetrics } from '../metrics';
import { bearerAuthenticator } from './auth';
import { ApiError, toErrorResponse, validationError } from './errors';
import { forwardUnlessLeader, type ApiForwarding } from './forward';
import { openApiDocument } from './openapi';
import { OVERRIDE_ROUTES } from './overrides';
import { AnyRoute, defineRoute, fastifyPath } from './route';
import { ApiContext, ROUTES } from './routes';
import { ErrorBody } from './schemas';
import type { ApiIdentity, ApiToken } from './tokens';

export interface ApiServerDeps {
  readonly context: ApiContext;
  readonly apiTokens: readonly ApiToken[];
  readonly metrics: DispatcherMetrics;
  readonly logger: Logger;
  /** With leader election: a standby forwards every API call to the leader (forward.ts). */
  readonly forwarding?: ApiForwarding;
}

const OPENAPI_ROUTE = defineRoute<ApiContext>({
  method: 'GET',
  path: '/openapi.json',
  operationId: 'openapi',
  summary: 'This document',
  scope: null,
  responses: { 200: { description: 'The OpenAPI 3.1 document.', schema: z.record(z.string(), z.unknown()) } },
  handle: async () => ({ status: 200, body: DOCUMENT }),
});

/** Every API route may meet a standby that cannot reach the leader (forward.ts). */
const NOT_LEADER = { description: 'This replica is a standby and cannot reach the leader (a takeover in progress); retry after Retry-After seconds.', schema: ErrorBody };
const withNotLeader = (route: AnyRoute<ApiContext>): AnyRoute<ApiContext> => ({
  ...route,
  responses: { ...route.responses, 503: route.responses[503] ? { ...route.responses[503], description: `${route.responses[503].description} ${NOT_LEADER.description}` } : NOT_LEADER },
});
const ALL_ROUTES: readonly AnyRoute<ApiContext>[] = [...[...ROUTES, ...OVERRIDE_ROUTES].map(withNotLeader), OPENAPI_ROUTE];
const DOCUMENT = openApiDocument(ALL_ROUTES as readonly AnyRoute<unknown>[], { title: 'Roundhouse dispatcher API', version: '1.0.0' });

/** The OpenAPI document served at /openapi.json. */
export function dispatcherOpenApi(): Record<string, unknown> {
  return DOCUMENT;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** /v1/runs/{runId} → ^/v1/runs/[^/]+$ */
const ROUTE_PATTERNS = ALL_ROUTES.map((route) => ({ method: route.method, pattern: new RegExp(`^${route.path.split(/\{[^}]+\}/).map(escapeRegExp).join('[^/]+')}$`) }));

/** The methods the API serves at a URL's path (GET implies HEAD, as fastify does). */
function allowedMethods(url: string): string[] {
  const path = url.split('?')[0]!;
  const methods = ROUTE_PATTERNS.filter((r) => r.pattern.test(path)).map((r) => r.method);
  return [...new Set(methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))];
}

function parse<S extends z.ZodType>(schema: S | undefined, value: unknown, where: 'body' | 'params' | 'query'): z.output<S> | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

/**
 * The dispatcher's HTTP server: the API routes and /openapi.json. /metrics and
 * the probes are not here: they are served by lib/runtime's probe server on
 * METRICS_PORT (issue 14: /metrics on the API port was readable without a token,
 * and a NetworkPolicy or Service cannot tell a scrape from an API call on one
 * port). Not listening yet: the caller listens (main.ts) or injects (tests).
 */
export function createApiServer(deps: ApiServerDeps): FastifyInstance {
  // Fastify's own validation is not used (zod validates in the route wrapper), so its
  // ajv options do not matter; bodies are limited to 1 MiB. Path parameters may be
  // longer than the router's default 100 characters, so that zod judges them (a
  // 400 naming the field) rather than the router (a bare 414): a family member id
  // may be 241 characters long (schemathesis found this).
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, routerOptions: { maxParamLength: 2048 } });
  const authenticate = bearerAuthenticator(deps.apiTokens);
  const identities = new WeakMap<FastifyRequest, ApiIdentity>();
  const send = (reply: FastifyReply, status: number, body: unknown): FastifyReply => reply.code(status).type('application/json').send(body);

  // A known path with a method it does not serve: 405 with Allow, not 404 (or the
  // 400 fastify gives a body-less QUERY before routing).
  const methodNotAllowed = (request: FastifyRequest, reply: FastifyReply): FastifyReply | null => {
    const allowed = allowedMethods(request.url);
    if (request.routeOptions.url !== undefined || allowed.length === 0) return null;
    reply.header('allow', allowed.join(', '));
    return send(reply, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not served here; allowed: ${allowed.join(', ')}`, field: null } });
  };

  app.setErrorHandler((error, request, reply) => {
    const refused = methodNotAllowed(request, reply);
    if (refused) return refused;
    // Fastify's own 4xx (malformed JSON, wrong content type, body too large) keep their status.
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const code = status === 413 ? 'TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'VALIDATION';
      return send(reply, status, { error: { code, message: `body: ${(error as Error).message}`, field: 'body' } });
    }
    const response = toErrorResponse(error);
    if (response.status >= 500) deps.logger.error({ err: error }, 'request failed');
    return send(reply, response.status, response.body);
  });
  app.setNotFoundHandler(
    (request, reply) => methodNotAllowed(request, reply) ?? send(reply, 404, { error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}`, field: null } }),
  );
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.apiRequests.inc({ route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) });
  });

  for (const route of ALL_ROUTES) {
    const scope = route.scope;
    app.route({
      method: route.method,
      url: fastifyPath(route.path),
      // onRequest runs before the body is parsed: without a valid token and the
      // route's scope, nothing about the request is looked at.
      ...(scope !== null
        ? {
            onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
              const identity = authenticate(request.headers.authorization);
              if (!identity) {
                reply.header('www-authenticate', 'Bearer');
                throw new ApiError(401, 'UNAUTHORIZED', deps.apiTokens.length === 0 ? 'the API is closed: no tokens are configured (DISPATCHER_API_TOKENS)' : 'missing or unknown bearer token');
              }
              if (!identity.scopes.includes(scope)) {
                throw new ApiError(403, 'FORBIDDEN', `token "${identity.name}" lacks the ${scope} scope (it has ${identity.scopes.join(', ')})`);
              }
              identities.set(request, identity);
            },
          }
        : {}),
      // After authentication (a standby refuses a bad token itself), before anything reads run state.
      ...(deps.forwarding && scope !== null ? { preHandler: async (request: FastifyRequest, reply: FastifyReply) => forwardUnlessLeader(deps.forwarding!, request, reply) } : {}),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = parse(route.params, request.params, 'params');
        const query = parse(route.query, request.query, 'query');
        const body = parse(route.body, request.body, 'body');
        const result = await route.handle({ params, query, body, identity: identities.get(request) ?? null }, deps.context);
        return send(reply, result.status, result.body);
      },
    });
  }
  return app;
}
