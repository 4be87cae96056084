// Shared by the server tests: a feather-serve on 127.0.0.1 (port 0) over a temp store, and a tiny client.
import { LocalEmbedder } from '@feather-db/embed';
import { startServer, type RunningServer, type ServeOptions } from '@feather-db/serve';
import { tempStorePath } from '@feather-db/testkit';

export interface TestServer {
  server: RunningServer;
  url: string;
  key: string;
  /** A request with the key (unless `auth: false` or another key is given); the body is sent as JSON. */
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { key?: string | null; raw?: string; contentType?: string },
  ): Promise<{ status: number; body: any }>;
}

let shared: Promise<LocalEmbedder> | undefined;

/** One local model per test file (it loads in a few hundred ms and every server of the file shares it). */
export function localEmbedder(): Promise<LocalEmbedder> {
  shared ??= LocalEmbedder.create();
  return shared;
}

export async function closeLocalEmbedder(): Promise<void> {
  if (shared !== undefined) await (await shared).close();
  shared = undefined;
}

export async function startTestServer(options: Partial<ServeOptions> = {}): Promise<TestServer> {
  const embedder =
    options.embed === undefined || options.embed === 'local' ? (options.embedder ?? (await localEmbedder())) : options.embedder;
  const server = await startServer({
    path: tempStorePath('serve.feather'),
    port: 0,
    threads: 1,
    logLevel: 'silent',
    ...options,
    ...(embedder === undefined ? {} : { embedder }),
  });
  const url = server.url!;
  const key = server.apiKey?.key ?? '';
  return {
    server,
    url,
    key,
    async call(method, path, body, o = {}) {
      const headers: Record<string, string> = {};
      const k = o.key === undefined ? key : o.key;
      if (k !== null && k !== '') headers['authorization'] = `Bearer ${k}`;
      const payload = o.raw ?? (body === undefined ? undefined : JSON.stringify(body));
      if (payload !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
      const response = await fetch(`${url}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (metrics)
      }
      return { status: response.status, body: parsed };
    },
  };
}

/** The record as JSON carries it (undefined fields dropped). */
export function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The MCP tools feather-serve offers, in the order it lists them. */
export const kMcpToolNames: readonly string[] = [
  'feather_add',
  'feather_search',
  'feather_context_chain',
  'feather_get',
  'feather_update',
  'feather_forget',
  'feather_link',
  'feather_related',
  'feather_timeline',
  'feather_list_namespaces',
  'feather_purge',
  'feather_compact',
  'feather_stats',
  'feather_delete_entity',
];
