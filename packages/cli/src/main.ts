// The `feather` command: one program, a subcommand per file in commands/.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerCompact } from './commands/compact.js';
import { registerExport } from './commands/export.js';
import { registerImport } from './commands/import.js';
import { registerInfo } from './commands/info.js';
import { registerSearch } from './commands/search.js';
import { registerServe } from './commands/serve.js';
import { registerStats } from './commands/stats.js';
import { registerVerify } from './commands/verify.js';
import { kExitOk, kExitUsage } from './exit-codes.js';

const kVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Runs `feather` with these arguments (without `node` and the script) and resolves with the exit code.
 * Usage errors print one line (`feather: usage: ...`) and give 64; see docs/cli.md for every code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let code = kExitOk;
  const done = (c: number): void => {
    code = c;
  };
  const program = new Command('feather')
    .description('Inspect, verify, import, export, search and compact .feather stores')
    .version(kVersion)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(`feather: usage: ${text.replace(/^error: /, '')}`) });
  registerInfo(program, done);
  registerVerify(program, done);
  registerImport(program, done);
  registerExport(program, done);
  registerSearch(program, done);
  registerCompact(program, done);
  registerStats(program, done);
  registerServe(program, done);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? kExitOk : kExitUsage;
    throw error;
  }
  return code;
}
