// Starting and stopping the service: the store, the embedder, the HTTP app (or stdio MCP), the key.
import { createEmbedder } from '@feather-db/embed';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { FastifyInstance } from 'fastify';
import { Feather, FeatherError, type Embedder } from 'feather-db';
import { resolveApiKey, type ApiKey } from './api-key.js';
import { createApp } from './app.js';
import { createMcpServer } from './mcp/mcp-server.js';
import type { ServeOptions } from './serve-options.js';
import { FeatherService } from './service.js';
import { kVersion } from './version.js';

/** A running feather-serve. */
export interface RunningServer {
  /** `http://host:port` (undefined for stdio). */
  url: string | undefined;
  app: FastifyInstance | undefined;
  service: FeatherService;
  /** The key requests need, and whether this start created it; undefined with `dev` (and stdio). */
  apiKey: ApiKey | undefined;
  /**
   * Graceful stop: stops accepting requests, lets those in flight finish, saves the store, closes it and the
   * embedder. Idempotent.
   */
  close(): Promise<void>;
}

/** Never log the key: Fastify's request serializer leaves headers out, and this holds if a serializer adds them. */
const kRedact = ['req.headers.authorization', 'headers.authorization', 'request.headers.authorization'];

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

/** The store and the embedder, checked against each other: a dim mismatch fails here, at start. */
async function openStore(options: ServeOptions): Promise<{ db: Feather; embedder: Embedder | undefined; ownEmbedder: boolean }> {
  const provider = options.embed ?? 'local';
  let embedder = options.embedder;
  const ownEmbedder = embedder === undefined;
  if (embedder === undefined && provider !== 'none') embedder = await createEmbedder({ provider });
  try {
    if (embedder !== undefined && options.dim !== undefined && options.dim !== embedder.dim) {
      throw new FeatherError(
        'FEATHER_ERR_DIMENSION_MISMATCH',
        `--dim ${options.dim} differs from the ${embedder.id} embedder's ${embedder.dim} dimensions; drop --dim or pick another embedder`,
        { expected: embedder.dim, received: options.dim },
      );
    }
    const dim = embedder?.dim ?? options.dim;
    const db = await Feather.open(options.path, {
      ...(dim === undefined ? {} : { dim }),
      ...(embedder === undefined ? {} : { embeddingModel: embedder.id }),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
    });
    return { db, embedder, ownEmbedder };
  } catch (error) {
    if (ownEmbedder) await embedder?.close();
    throw error;
  }
}

function stopper(stop: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= stop());
}

/**
 * Opens the store and the embedder and serves them over HTTP.
 * @throws FEATHER_ERR_INVALID_ARGUMENT (bad options; --dev with a non-loopback host), FEATHER_ERR_DIMENSION_MISMATCH
 * (embedder, --dim and store disagree), FEATHER_ERR_EMBEDDER, FEATHER_ERR_LOCKED and every open error.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (options.dev === true && !isLoopback(host)) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `--dev turns auth off and so binds 127.0.0.1 only, got --host ${host}; drop --dev to serve other hosts with a key`,
      { path: '--host' },
    );
  }
  const apiKey = options.dev === true ? undefined : resolveApiKey(options.apiKey, options.path);
  const { db, embedder, ownEmbedder } = await openStore(options);
  const service = new FeatherService(db, embedder);
  const app = createApp({
    service,
    apiKey: apiKey?.key,
    version: kVersion,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    logger: { level: options.logLevel ?? 'info', redact: kRedact },
  });
  const close = stopper(async () => {
    // app.close() stops accepting and waits for requests in flight; their keep-alive sockets would then hold
    // it open until the client hangs up, so sockets are reaped as each becomes idle.
    const reaper = setInterval(() => app.server.closeIdleConnections(), 50);
    try {
      await app.close();
    } finally {
      clearInterval(reaper);
    }
    try {
      await db.save();
    } finally {
      await db.close();
      if (ownEmbedder) await embedder?.close();
    }
  });
  try {
    await app.listen({ port: options.port ?? 7700, host });
  } catch (error) {
    await close().catch(() => undefined);
    throw new FeatherError(
      'FEATHER_ERR_IO',
      `cannot listen on ${host}:${options.port ?? 7700}: ${(error as Error).message}; pick another --port`,
      { host, port: options.port ?? 7700 },
      { cause: error },
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 7700);
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, app, service, apiKey, close };
}

/** Serves MCP over stdin/stdout (no HTTP, no key: the client started this process). Ends when stdin closes. */
export async function startStdio(options: ServeOptions): Promise<RunningServer & { closed: Promise<void> }> {
  const { db, embedder, ownEmbedder } = await openStore(options);
  const service = new FeatherService(db, embedder);
  const server = createMcpServer(service, kVersion);
  const transport = new StdioServerTransport();
  let ended!: () => void;
  const closed = new Promise<void>((resolve) => (ended = resolve));
  const close = stopper(async () => {
    await server.close();
    try {
      await db.save();
    } finally {
      await db.close();
      if (ownEmbedder) await embedder?.close();
      ended();
    }
  });
  transport.onclose = () => void close();
  process.stdin.on('end', () => void close());
  await server.connect(transport);
  return { url: undefined, app: undefined, service, apiKey: undefined, close, closed };
}
