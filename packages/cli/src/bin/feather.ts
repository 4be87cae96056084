#!/usr/bin/env node
// The `feather` executable.
import { main } from '../main.js';

// A reader that stops early (`feather export ... | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});
process.exitCode = await main(process.argv.slice(2));
// Every store is closed by now; a stray handle (an embedder's idle thread) must not keep the process alive.
setTimeout(() => process.exit(), 2000).unref();
