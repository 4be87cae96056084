// The Fastify app: the REST route table, /api/v1/openapi.json, /metrics, /mcp, auth, errors and limits.
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { FeatherError } from 'feather-db';
import { defaultAdminRoot, registerAdmin } from './admin-static.js';
import { authorized } from './api-key.js';
import { errorBody, sendError, statusOf, toFeatherError } from './error-to-http.js';
import { createMcpServer } from './mcp/mcp-server.js';
import { createMetrics } from './metrics.js';
import { memoryRoutes } from './rest/memory-routes.js';
import { buildOpenApi } from './rest/openapi.js';
import { fastifyPath, type RouteDef, type RouteInput } from './rest/route-def.js';
import { searchRoutes, storeRoutes } from './rest/store-routes.js';
import { ErrorBody, type TSchema } from './schemas.js';
import type { FeatherService } from './service.js';
import { compileBody, compileStrings } from './validation.js';

export interface AppOptions {
  service: FeatherService;
  /** The key every route but /health needs; undefined turns auth off (--dev). */
  apiKey: string | undefined;
  /** Largest request body. Default 16 MiB (~1,000 memories of 1,536-d vectors as JSON). */
  bodyLimit?: number;
  version: string;
  logger?: FastifyServerOptions['logger'];
  /** The built admin page served at /admin/ (no key: data calls carry it). Default: @feather-db/admin's dist; false: none. */
  admin?: string | false;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** False on the routes that need no key (/health). */
    auth?: boolean;
  }
}

export const kDefaultBodyLimit = 16 * 2 ** 20;

/** All REST routes of a service, in the order the OpenAPI document lists them. */
export function restRoutes(service: FeatherService, version: string): RouteDef[] {
  return [...memoryRoutes(service), ...searchRoutes(service), ...storeRoutes(service, version)];
}

export function createApp(options: AppOptions): FastifyInstance {
  const { service, apiKey, version } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? kDefaultBodyLimit,
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });
  // While closing, requests that still arrive on open connections get our error body (503) and close them.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // JSON only: a text/plain body is refused as such, not parsed into a string the schema then rejects.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? compileBody(schema as TSchema) : compileStrings(schema as TSchema),
  );
  const metrics = createMetrics(service.db);
  const routes = restRoutes(service, version);
  const document = buildOpenApi(routes, version);

  app.addHook('onRequest', async (request, reply) => {
    if (closing) {
      void reply.header('connection', 'close');
      throw new FeatherError('FEATHER_ERR_CLOSED', 'feather-serve is shutting down: retry against another instance or once it is back');
    }
    if (apiKey === undefined || request.routeOptions.config.auth === false) return;
    if (!authorized(request.headers.authorization, apiKey)) {
      void reply.header('www-authenticate', 'Bearer');
      throw new FeatherError(
        'FEATHER_ERR_UNAUTHORIZED',
        'missing or wrong API key: send the header Authorization: Bearer <key> (the key feather-serve printed at its first start, kept in <store>.key, or FEATHER_API_KEY)',
      );
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.setErrorHandler((error, request, reply) => {
    const e = toFeatherError(error);
    if (statusOf(e) >= 500) request.log.error({ err: error }, e.message);
    return sendError(reply, e);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new FeatherError(
        'FEATHER_ERR_NOT_FOUND',
        `no route ${request.method} ${request.url.split('?')[0]}; the routes are in /api/v1/openapi.json`,
      ),
    ),
  );

  for (const r of routes) {
    app.route({
      method: r.method,
      url: fastifyPath(r.path),
      config: { auth: r.auth },
      schema: {
        ...(r.params === undefined ? {} : { params: r.params }),
        ...(r.query === undefined ? {} : { querystring: r.query }),
        ...(r.body === undefined ? {} : { body: r.body }),
        response: { [r.status]: r.response, '4xx': ErrorBody, '5xx': ErrorBody },
      },
      handler: async (request, reply) => {
        const value = await r.handler({ params: request.params, query: request.query, body: request.body } as RouteInput);
        return reply.code(r.status).send(value);
      },
    });
  }
  if (options.admin !== false) registerAdmin(app, options.admin ?? defaultAdminRoot());
  app.get('/api/v1/openapi.json', () => document);
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  // MCP over Streamable HTTP, stateless: a fresh server and transport per request (no session to keep).
  app.post('/mcp', async (request, reply) => {
    const server = createMcpServer(service, version);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  });
  const noSessions = (): FeatherError =>
    new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      'this MCP endpoint is stateless: POST JSON-RPC messages to /mcp (no GET stream, no sessions to delete)',
    );
  app.get('/mcp', (_request, reply) => reply.code(405).header('allow', 'POST').send(errorBody(noSessions())));
  app.delete('/mcp', (_request, reply) => reply.code(405).header('allow', 'POST').send(errorBody(noSessions())));
  return app;
}
