// How a command prints: human lines or one JSON document on stdout; errors as one line on stderr.
import { FeatherError } from 'feather-db';

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly #stdout: NodeJS.WritableStream;
  readonly #stderr: NodeJS.WritableStream;

  constructor(options: OutputOptions, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr) {
    this.json = options.json === true;
    this.quiet = options.quiet === true;
    this.#stdout = stdout;
    this.#stderr = stderr;
  }

  /** The command's result: `value` as JSON with --json, else the human lines. */
  result(value: unknown, human: () => string[]): void {
    if (this.json) this.#stdout.write(`${JSON.stringify(value)}\n`);
    else for (const line of human()) this.#stdout.write(`${line}\n`);
  }

  /** A note for people (progress, warnings) on stderr; silent with --quiet. */
  note(line: string): void {
    if (!this.quiet) this.#stderr.write(`${line}\n`);
  }

  /** The one line a failed command prints: `feather: CODE: message`, or `{ error: { code, message, details } }` with --json. */
  error(error: FeatherError): void {
    if (this.json) this.#stderr.write(`${JSON.stringify({ error: error.toWire() })}\n`);
    else this.#stderr.write(`feather: ${error.code}: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
  }
}

/** 1234567 -> "1,234,567". */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Bytes in a human unit. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]!}`;
}
