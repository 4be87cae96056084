// feather serve [file] [options]: runs feather-serve (packages/serve) with the same arguments and environment.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

/** The feather-serve executable of the installed @feather-db/serve. */
function featherServeBin(): string {
  return fileURLToPath(new URL('./bin/feather-serve.js', import.meta.resolve('@feather-db/serve')));
}

export function registerServe(program: Command, done: (code: number) => void): void {
  program
    .command('serve')
    .description('serve a store over REST, MCP, /health and /metrics: the same program as feather-serve (see feather serve --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', "feather-serve's arguments")
    .action(async (args: string[]) => done(await runServe(args)));
}

/** Runs feather-serve as a child sharing this terminal; SIGINT and SIGTERM reach it, and its exit code is ours. */
function runServe(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [featherServeBin(), ...args], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}
