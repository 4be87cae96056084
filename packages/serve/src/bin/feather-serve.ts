#!/usr/bin/env node
// feather-serve: parse flags, start, print where and how to reach it, stop gracefully on SIGINT/SIGTERM.
import { FeatherError } from 'feather-db';
import { keyFileOf } from '../api-key.js';
import { kUsage, parseCli } from '../serve-options.js';
import { startServer, startStdio, type RunningServer } from '../server.js';
import { kVersion } from '../version.js';

function fail(error: unknown): never {
  const e = error instanceof FeatherError ? error : new FeatherError('FEATHER_ERR_INTERNAL', String((error as Error)?.message ?? error), undefined, { cause: error });
  process.stderr.write(`feather-serve: ${e.code}: ${e.message}\n`);
  process.exit(1);
}

function onSignals(server: RunningServer, say: (line: string) => void): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        say(`feather-serve: ${signal} again, exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      say(`feather-serve: ${signal}: finishing requests in flight, saving ${server.service.db.path}`);
      server.close().then(
        () => process.exit(0),
        (error: unknown) => fail(error),
      );
    });
  }
}

async function main(): Promise<void> {
  const options = parseCli(process.argv.slice(2), process.env);
  if (options.help) return void process.stdout.write(`${kUsage}\n`);
  if (options.version) return void process.stdout.write(`${kVersion}\n`);
  if (options.stdio) {
    // stdout carries the protocol: everything else goes to stderr.
    const server = await startStdio({ ...options, logLevel: 'silent' });
    onSignals(server, (line) => process.stderr.write(`${line}\n`));
    process.stderr.write(`feather-serve ${kVersion}: MCP on stdio, store ${options.path} (${server.service.db.count()} memories)\n`);
    await server.closed;
    process.exit(0);
  }
  const server = await startServer(options);
  const { db, embedder } = server.service;
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  onSignals(server, say);
  say(`feather-serve ${kVersion} listening on ${server.url}`);
  say(`  store ${db.path}: ${db.count()} memories, ${db.dim}-d, embedder ${embedder?.id ?? 'none (send vectors)'}`);
  let auth = '';
  if (server.apiKey === undefined) say('  --dev: no auth (127.0.0.1 only)');
  else if (server.apiKey.created) {
    say(`  API key (created now; shown once, kept in ${keyFileOf(db.path)} with mode 0600): ${server.apiKey.key}`);
    auth = ` -H "authorization: Bearer $(cat ${keyFileOf(db.path)})"`;
  } else auth = server.apiKey.file === undefined ? ' -H "authorization: Bearer $FEATHER_API_KEY"' : ` -H "authorization: Bearer $(cat ${keyFileOf(db.path)})"`;
  const body = embedder === undefined ? `{"vector":[${new Array(Math.min(db.dim, 3)).fill('0.1').join(',')}${db.dim > 3 ? ',…' : ''}],"k":3}` : '{"query":"how do I deploy an app?","k":3}';
  say(`  try: curl -s ${server.url}/api/v1/namespaces/default/search${auth} -H 'content-type: application/json' -d '${body}'`);
  say(`  OpenAPI: ${server.url}/api/v1/openapi.json   MCP: ${server.url}/mcp   health: ${server.url}/health`);
}

main().catch(fail);
