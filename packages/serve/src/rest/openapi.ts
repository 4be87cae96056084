// The OpenAPI 3.1 document, built from the route table (the schemas Fastify validates with).
import type { TSchema } from '@sinclair/typebox';
import { ErrorBody } from '../schemas.js';
import type { RouteDef } from './route-def.js';

type Json = Record<string, unknown>;

/** Plain JSON Schema (TypeBox's symbol keys dropped). */
const plain = (schema: TSchema): Json => JSON.parse(JSON.stringify(schema)) as Json;

function parameters(schema: TSchema | undefined, where: 'path' | 'query'): Json[] {
  if (schema === undefined) return [];
  const s = plain(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    ...(typeof property['description'] === 'string' ? { description: property['description'] } : {}),
    schema: property,
  }));
}

const kError = (description: string): Json => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** Routes outside the table: the document itself, Prometheus metrics and MCP. */
const kExtraPaths: Json = {
  '/api/v1/openapi.json': {
    get: {
      operationId: 'openapi',
      tags: ['meta'],
      summary: 'This document',
      security: [{ bearer: [] }],
      responses: {
        '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } },
        '401': kError('No key or a wrong key'),
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'metrics',
      tags: ['meta'],
      summary: 'Prometheus metrics: request latency per route, memories, namespaces, WAL bytes, RSS',
      security: [{ bearer: [] }],
      responses: {
        '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
        '401': kError('No key or a wrong key'),
      },
    },
  },
  '/mcp': {
    post: {
      operationId: 'mcp',
      tags: ['meta'],
      summary: 'Model Context Protocol, Streamable HTTP transport (stateless JSON responses): tools feather_add, feather_search, …',
      security: [{ bearer: [] }],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', description: 'A JSON-RPC 2.0 message' } } },
      },
      responses: {
        '200': { description: 'A JSON-RPC 2.0 response', content: { 'application/json': { schema: { type: 'object' } } } },
        '401': kError('No key or a wrong key'),
      },
    },
  },
};

export function buildOpenApi(routes: readonly RouteDef[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const responses: Json = {
      [String(r.status)]: { description: r.summary, content: { 'application/json': { schema: plain(r.response) } } },
      '400': kError('Malformed JSON, a wrong type, an unknown field or a bad value'),
      ...(r.auth ? { '401': kError('No key or a wrong key') } : {}),
      ...(r.params !== undefined ? { '404': kError('No such memory in this namespace') } : {}),
      '413': kError('The body is larger than the server accepts'),
      '5XX': kError("The server's fault (FEATHER_ERR_EMBEDDER: the embedding provider failed)"),
    };
    paths[r.path] ??= {};
    paths[r.path]![r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(r.auth ? { security: [{ bearer: [] }] } : { security: [] }),
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: plain(r.body) } } } }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'feather-serve',
      version,
      description: 'A Feather vector memory store as a service. Every error body is { code, message, details } (docs/errors.md).',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: { ...paths, ...kExtraPaths },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The API key feather-serve printed at its first start, or FEATHER_API_KEY' },
      },
      schemas: { Error: plain(ErrorBody) },
    },
  };
}
