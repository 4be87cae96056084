// The commands that read one store and print a report (info, stats, verify): `feather <name> <file> [--json]`.
import type { Command } from 'commander';
import { Output } from '../output.js';

export interface ReportCommand {
  name: string;
  description: string;
  /** Receives the exit code. */
  done: (code: number) => void;
  /** Prints the report of `file` through `out`; resolves to the exit code. */
  run: (file: string, out: Output) => Promise<number>;
}

export function registerReportCommand(program: Command, command: ReportCommand): void {
  program
    .command(command.name)
    .description(command.description)
    .argument('<file>', 'the .feather file')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, options: { json?: boolean }) => command.done(await command.run(file, new Output(options))));
}
