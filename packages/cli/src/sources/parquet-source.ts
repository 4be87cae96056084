// Parquet, read with hyparquet (pure JavaScript, no native build) one row group at a time, so memory holds one
// group whatever the file's size. Columns map to row fields as CSV's do (tabular-row.ts); the vector column is a
// list of floats.
import { basename } from 'node:path';
import { FeatherError, type IngestRow } from 'feather-db';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ImportSource, SourceProgress } from './source.js';
import { tableRow, type Cell } from './tabular-row.js';

export class ParquetSource implements ImportSource {
  readonly path: string;
  readonly name: string;
  readonly spec: undefined;
  #done = 0;
  #total = 0;

  constructor(path: string) {
    this.path = path;
    this.name = basename(path);
  }

  async *rows(): AsyncGenerator<IngestRow | Error> {
    let file;
    let metadata;
    try {
      file = await asyncBufferFromFile(this.path);
      metadata = await parquetMetadataAsync(file);
    } catch (error) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${this.name} is not a readable Parquet file: ${(error as Error).message}`,
        { path: this.path },
        { cause: error },
      );
    }
    const columns = parquetSchema(metadata).children.map((c) => c.element.name);
    if (!columns.includes('vector') && !columns.includes('text')) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${this.name} has no 'vector' or 'text' column (it has ${columns.join(', ')})`,
        { path: this.path },
      );
    }
    this.#total = Number(metadata.num_rows);
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      const records = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, compressors });
      for (const record of records) {
        this.#done++;
        try {
          yield tableRow(
            columns,
            columns.map((c) => record[c] as Cell),
            `row ${this.#done} of ${this.name}`,
          );
        } catch (error) {
          yield error as Error;
        }
      }
      start = end;
    }
  }

  progress(): SourceProgress | undefined {
    return this.#total === 0 ? undefined : { done: this.#done, total: this.#total, unit: 'rows' };
  }
}
