#!/usr/bin/env node
// The `feather` executable.
import { main } from '../main.js';

process.exitCode = await main(process.argv.slice(2));
// Every store is closed by now; a stray handle (an embedder's timer) must not keep the process alive.
setTimeout(() => process.exit(), 2000).unref();
