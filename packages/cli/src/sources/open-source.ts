// Picks the reader for a source by its extension (or --format).
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { FeatherError } from 'feather-db';
import { CsvSource } from './csv-source.js';
import { JsonlSource } from './jsonl-source.js';
import { NpySource } from './npy-source.js';
import { ParquetSource } from './parquet-source.js';
import type { ImportSource } from './source.js';

export const kFormats = ['jsonl', 'csv', 'tsv', 'npy', 'parquet'] as const;
export type SourceFormat = (typeof kFormats)[number];

const kExtensions: Record<string, SourceFormat> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'jsonl',
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.npy': 'npy',
  '.parquet': 'parquet',
};

export interface SourceOptions {
  format?: SourceFormat;
  /** JSONL of per-row metadata for a .npy source. */
  meta?: string;
}

export async function openSource(path: string, options: SourceOptions): Promise<ImportSource> {
  const format = options.format ?? (path === '-' ? 'jsonl' : kExtensions[extname(path).toLowerCase()]);
  if (format === undefined) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `cannot tell the format of ${path} from its extension; name it .jsonl, .csv, .tsv, .npy or .parquet, or pass --format`,
      { path },
    );
  }
  if (path !== '-' && !existsSync(path)) throw new FeatherError('FEATHER_ERR_NOT_FOUND', `source ${path} does not exist`, { path });
  if (path === '-' && (format === 'npy' || format === 'parquet'))
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${format} cannot be read from stdin (it is read by offset); give its path`);
  if (options.meta !== undefined && format !== 'npy')
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `--meta pairs a JSONL of metadata with a .npy source, and ${path} is ${format}`);
  if (options.meta !== undefined && !existsSync(options.meta))
    throw new FeatherError('FEATHER_ERR_NOT_FOUND', `--meta ${options.meta} does not exist`, { path: options.meta });
  switch (format) {
    case 'jsonl':
      return new JsonlSource(path);
    case 'csv':
      return new CsvSource(path, ',');
    case 'tsv':
      return new CsvSource(path, '\t');
    case 'npy':
      return NpySource.open(path, options.meta);
    case 'parquet':
      return new ParquetSource(path);
  }
}
