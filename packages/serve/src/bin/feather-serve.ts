#!/usr/bin/env node
// feather-serve: parse flags, start, print where and how to reach it, stop gracefully on SIGINT/SIGTERM.
import { FeatherError } from 'feather-db';
import { startupBanner } from '../banner.js';
import { stopOnSignals } from '../signals.js';
import { kUsage, parseCli } from '../serve-options.js';
import { startServer, startStdio } from '../server.js';
import { kVersion } from '../version.js';

function fail(error: unknown): never {
  const e =
    error instanceof FeatherError
      ? error
      : new FeatherError('FEATHER_ERR_INTERNAL', String((error as Error)?.message ?? error), undefined, { cause: error });
  process.stderr.write(`feather-serve: ${e.code}: ${e.message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const options = parseCli(process.argv.slice(2), process.env);
  if (options.help) return void process.stdout.write(`${kUsage}\n`);
  if (options.version) return void process.stdout.write(`${kVersion}\n`);
  if (options.stdio) {
    // stdout carries the protocol: everything else goes to stderr.
    const server = await startStdio({ ...options, logLevel: 'silent' });
    stopOnSignals(server, (line) => process.stderr.write(`${line}\n`));
    process.stderr.write(`feather-serve ${kVersion}: MCP on stdio, store ${options.path} (${server.service.db.count()} memories)\n`);
    await server.closed;
    process.exit(0);
  }
  const server = await startServer(options);
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  stopOnSignals(server, say);
  for (const line of startupBanner(server)) say(line);
}

main().catch(fail);
