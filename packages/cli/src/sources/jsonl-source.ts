// JSONL: one row per line (blank lines skipped). A first line `{ "$feather": { dim, metric, ... } }`, as
// `feather export` writes, declares the store it came from.
import { createReadStream, statSync, type ReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { FeatherError, type IngestRow } from 'feather-db';
import type { ImportSource, SourceProgress, StoreSpec } from './source.js';

/** The key of an export's header line. */
export const kHeaderKey = '$feather';

export class JsonlSource implements ImportSource {
  readonly path: string;
  readonly name: string;
  spec: StoreSpec | undefined;
  #file: ReadStream | undefined;
  readonly #size: number;

  constructor(path: string) {
    this.path = path;
    this.name = path === '-' ? 'stdin' : basename(path);
    this.#size = path === '-' ? 0 : statSync(path).size;
  }

  async *rows(): AsyncGenerator<IngestRow | Error> {
    const input = this.path === '-' ? process.stdin : (this.#file = createReadStream(this.path));
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let line = 0;
    try {
      for await (const text of lines) {
        line++;
        if (text.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (error) {
          yield new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `line ${line} of ${this.name} is not JSON (${(error as Error).message})`, {
            line,
          });
          continue;
        }
        if (line === 1 && typeof value === 'object' && value !== null && kHeaderKey in value) {
          this.spec = (value as Record<string, StoreSpec>)[kHeaderKey];
          continue;
        }
        yield value as IngestRow;
      }
    } finally {
      lines.close();
      this.#file?.destroy();
    }
  }

  progress(): SourceProgress | undefined {
    return this.#file === undefined || this.#size === 0 ? undefined : { done: this.#file.bytesRead, total: this.#size, unit: 'bytes' };
  }
}
