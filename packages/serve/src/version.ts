import { createRequire } from 'node:module';

/** This package's version (what /health and the MCP server report). */
export const kVersion: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
