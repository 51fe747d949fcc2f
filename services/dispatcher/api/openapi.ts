import { z } from 'zod';
import type { AnyRoute } from './route';
import { API_SCOPES, SCOPE_DESCRIPTIONS } from './tokens';

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 (what OpenAPI 3.1 uses) of a zod schema, as a request reads it. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as { description?: string };
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

/** The OpenAPI 3.1 document of the routes, generated from their zod schemas. */
export function openApiDocument(routes: readonly AnyRoute<unknown>[], info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const operation: JsonSchema = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      // OpenAPI 3.1 lets a non-OAuth scheme list the roles an operation needs: the token's scope.
      security: route.scope === null ? [] : [{ bearer: [route.scope] }],
      ...(route.scope === null ? {} : { 'x-required-scope': route.scope }),
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } } : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [status, { description: response.description, content: { 'application/json': { schema: schemaOf(response.schema, 'output') } } }]),
      ),
    };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { ...info, description: 'Training runs on Kubernetes (or locally), tracked and idempotent. See docs/dispatcher-api.md.' },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: `A token from DISPATCHER_API_TOKENS (entries name:scope+scope:token). Each operation's security requirement names the scope it needs; without the token: 401, without the scope: 403. Scopes: ${API_SCOPES.map((s) => `${s}: ${SCOPE_DESCRIPTIONS[s]}`).join('; ')}.`,
        },
      },
    },
    paths,
  };
}
