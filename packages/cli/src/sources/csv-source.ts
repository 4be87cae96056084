// CSV (and TSV): a header row names the columns; see tabular-row.ts for how columns map to a row.
import { createReadStream, statSync, type ReadStream } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import { FeatherError, type IngestRow } from 'feather-db';
import type { ImportSource, SourceProgress } from './source.js';
import { tableRow } from './tabular-row.js';

interface Parsed {
  record: string[];
  info: { lines: number };
}

export class CsvSource implements ImportSource {
  readonly path: string;
  readonly name: string;
  readonly spec: undefined;
  readonly #delimiter: string;
  readonly #size: number;
  #file: ReadStream | undefined;

  constructor(path: string, delimiter: string) {
    this.path = path;
    this.name = path === '-' ? 'stdin' : basename(path);
    this.#delimiter = delimiter;
    this.#size = path === '-' ? 0 : statSync(path).size;
  }

  async *rows(): AsyncGenerator<IngestRow | Error> {
    const input = this.path === '-' ? process.stdin : (this.#file = createReadStream(this.path));
    // relax_column_count: a record with the wrong number of fields comes through, and is reported as a bad row.
    const parser = parse({ delimiter: this.#delimiter, bom: true, info: true, relax_column_count: true, skip_empty_lines: true });
    pipeline(input, parser, () => undefined);
    let columns: string[] | undefined;
    try {
      for await (const { record, info } of parser as AsyncIterable<Parsed>) {
        if (columns === undefined) {
          columns = record.map((c) => c.trim());
          if (!columns.includes('vector') && !columns.includes('text')) {
            throw new FeatherError(
              'FEATHER_ERR_INVALID_ARGUMENT',
              `${this.name} has no 'vector' or 'text' column in its header row (${columns.join(', ')}); the first row must name the columns`,
              { path: this.path },
            );
          }
          continue;
        }
        const where = `line ${info.lines} of ${this.name}`;
        if (record.length !== columns.length) {
          yield new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${where} has ${record.length} fields, the header has ${columns.length}`, {
            line: info.lines,
          });
          continue;
        }
        try {
          yield tableRow(columns, record, where);
        } catch (error) {
          yield error as Error;
        }
      }
    } catch (error) {
      if (error instanceof FeatherError) throw error;
      // A quote never closed, say: the rest of the file cannot be split into records.
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${this.name} cannot be parsed past this point: ${(error as Error).message}`,
        { path: this.path },
        { cause: error },
      );
    } finally {
      parser.destroy();
      this.#file?.destroy();
    }
  }

  progress(): SourceProgress | undefined {
    return this.#file === undefined || this.#size === 0 ? undefined : { done: this.#file.bytesRead, total: this.#size, unit: 'bytes' };
  }
}
