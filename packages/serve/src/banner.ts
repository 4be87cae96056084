// What feather-serve prints when it starts: where it listens, the key (once, when created), a curl that works.
import { keyFileOf } from './api-key.js';
import type { RunningServer } from './server.js';
import { kVersion } from './version.js';

/** The startup lines; `query` is the example search text of the curl line. */
export function startupBanner(server: RunningServer, query = 'how do I deploy an app?'): string[] {
  const { db, embedder } = server.service;
  const lines = [
    `feather-serve ${kVersion} listening on ${server.url}`,
    `  store ${db.path}: ${db.count()} memories, ${db.dim}-d, embedder ${embedder?.id ?? 'none (send vectors)'}`,
  ];
  if (server.apiKey === undefined) lines.push('  --dev: no auth (127.0.0.1 only)');
  else if (server.apiKey.created)
    lines.push(`  API key (created now; shown once, kept in ${keyFileOf(db.path)} with mode 0600): ${server.apiKey.key}`);
  lines.push(`  try: ${curlLine(server, query)}`);
  lines.push(`  OpenAPI: ${server.url}/api/v1/openapi.json   MCP: ${server.url}/mcp   health: ${server.url}/health`);
  return lines;
}

/** A search of namespace 'default' with curl, the key read from where it lives. */
export function curlLine(server: RunningServer, query: string): string {
  const { db, embedder } = server.service;
  const auth =
    server.apiKey === undefined
      ? ''
      : server.apiKey.file === undefined
        ? ' -H "authorization: Bearer $FEATHER_API_KEY"'
        : ` -H "authorization: Bearer $(cat ${keyFileOf(db.path)})"`;
  const body =
    embedder === undefined ? `{"vector":[${new Array<string>(db.dim).fill('0.1').join(',')}],"k":3}` : JSON.stringify({ query, k: 3 });
  return `curl -s ${server.url}/api/v1/namespaces/default/search${auth} -H 'content-type: application/json' -d '${body}'`;
}
