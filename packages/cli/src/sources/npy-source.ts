// .npy: a float32 or float64 matrix (rows × dim, C order), read a block of rows at a time, with an optional
// JSONL of metadata whose line i belongs to row i (any row field but the vector).
import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { FeatherError, type IngestRow } from 'feather-db';
import type { ImportSource, SourceProgress } from './source.js';

/** Bytes read per block (a whole number of rows, at least one). */
const kBlockBytes = 4 << 20;
const kMagic = '\x93NUMPY';

interface NpyHeader {
  rows: number;
  dim: number;
  /** 4 or 8. */
  itemBytes: number;
  littleEndian: boolean;
  dataOffset: number;
}

export class NpySource implements ImportSource {
  readonly path: string;
  readonly name: string;
  readonly spec: { dim: number } | undefined;
  readonly #meta: string | undefined;
  readonly #header: NpyHeader;
  #done = 0;

  private constructor(path: string, header: NpyHeader, meta: string | undefined) {
    this.path = path;
    this.name = basename(path);
    this.#header = header;
    this.#meta = meta;
    this.spec = { dim: header.dim };
  }

  /** Reads and checks the header. @throws FEATHER_ERR_INVALID_ARGUMENT for anything but a 2-d float32/float64 C-order matrix. */
  static async open(path: string, meta: string | undefined): Promise<NpySource> {
    const file = await open(path, 'r');
    try {
      return new NpySource(path, await readHeader(file, path), meta);
    } finally {
      await file.close();
    }
  }

  get rowCount(): number {
    return this.#header.rows;
  }

  async *rows(): AsyncGenerator<IngestRow | Error> {
    const { rows, dim, itemBytes, littleEndian, dataOffset } = this.#header;
    const rowBytes = dim * itemBytes;
    const perBlock = Math.max(1, Math.floor(kBlockBytes / rowBytes));
    const file = await open(this.path, 'r');
    const metaLines =
      this.#meta === undefined
        ? undefined
        : createInterface({ input: createReadStream(this.#meta), crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
    try {
      for (let first = 0; first < rows; first += perBlock) {
        const count = Math.min(perBlock, rows - first);
        // A fresh buffer per block: rows handed out are views into it and stay valid while ingest holds them.
        const block = new ArrayBuffer(count * rowBytes);
        const { bytesRead } = await file.read(new Uint8Array(block), 0, block.byteLength, dataOffset + first * rowBytes);
        if (bytesRead !== block.byteLength)
          throw new FeatherError(
            'FEATHER_ERR_INVALID_ARGUMENT',
            `${this.name} is cut short: its header promises ${rows} rows, the data ends inside row ${first + Math.floor(bytesRead / rowBytes) + 1}`,
            { path: this.path },
          );
        const values = decode(block, itemBytes, littleEndian);
        for (let r = 0; r < count; r++) {
          const vector = values.subarray(r * dim, (r + 1) * dim);
          this.#done = first + r + 1;
          if (metaLines === undefined) {
            yield { vector };
            continue;
          }
          yield await this.#withMeta(metaLines, vector, first + r + 1);
        }
      }
      if (metaLines !== undefined) {
        let extra = 0;
        for (let next = await metaLines.next(); next.done !== true; next = await metaLines.next()) if (next.value.trim() !== '') extra++;
        if (extra > 0)
          throw new FeatherError(
            'FEATHER_ERR_INVALID_ARGUMENT',
            `${basename(this.#meta!)} has ${extra} more metadata lines than ${this.name} has rows (${rows}); they belong to no vector`,
            { path: this.#meta },
          );
      }
    } finally {
      await metaLines?.return?.();
      await file.close();
    }
  }

  /** Row `row`'s metadata line merged with its vector; a bad line makes the row an Error. */
  async #withMeta(lines: AsyncIterator<string>, vector: Float32Array | Float64Array, row: number): Promise<IngestRow | Error> {
    const next = await lines.next();
    if (next.done === true || next.value.trim() === '') return { vector };
    const where = `line ${row} of ${basename(this.#meta!)}`;
    let meta: unknown;
    try {
      meta = JSON.parse(next.value);
    } catch (error) {
      return new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${where} is not JSON (${(error as Error).message})`, { line: row });
    }
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
      return new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${where} must be a JSON object of row fields like {"id": "a", "text": "..."}`,
        { line: row },
      );
    if ('vector' in meta)
      return new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${where} has a vector: the vector of row ${row} comes from ${this.name}`, {
        line: row,
      });
    return { ...(meta as IngestRow), vector };
  }

  progress(): SourceProgress {
    return { done: this.#done, total: this.#header.rows, unit: 'rows' };
  }
}

function decode(block: ArrayBuffer, itemBytes: number, littleEndian: boolean): Float32Array | Float64Array {
  const native = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
  if (littleEndian === native) return itemBytes === 4 ? new Float32Array(block) : new Float64Array(block);
  const view = new DataView(block);
  const n = block.byteLength / itemBytes;
  const out = itemBytes === 4 ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = itemBytes === 4 ? view.getFloat32(i * 4, littleEndian) : view.getFloat64(i * 8, littleEndian);
  return out;
}

async function readHeader(file: FileHandle, path: string): Promise<NpyHeader> {
  const name = basename(path);
  const fail = (why: string): FeatherError =>
    new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${name} is not a readable .npy matrix: ${why}; save it with numpy.save(path, matrix.astype('float32'))`,
      { path },
    );
  const head = Buffer.alloc(12);
  const { bytesRead } = await file.read(head, 0, 12, 0);
  if (bytesRead < 10 || head.toString('latin1', 0, 6) !== kMagic) throw fail('no \\x93NUMPY magic');
  const major = head[6]!;
  const lengthBytes = major === 1 ? 2 : 4;
  if (major < 1 || major > 3) throw fail(`unknown .npy version ${major}`);
  const headerLength = lengthBytes === 2 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  const dict = Buffer.alloc(headerLength);
  await file.read(dict, 0, headerLength, 8 + lengthBytes);
  const text = dict.toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr':\s*'([<>=|])f([48])'/.exec(text);
  if (descr === null) throw fail(`dtype ${/'descr':\s*'([^']*)'/.exec(text)?.[1] ?? '?'} (float32 '<f4' or float64 '<f8' expected)`);
  if (/'fortran_order':\s*True/.test(text)) throw fail('Fortran (column-major) order');
  const shape = /'shape':\s*\(\s*(\d+)\s*,\s*(\d+)\s*,?\s*\)/.exec(text);
  if (shape === null) throw fail(`shape ${/'shape':\s*(\([^)]*\))/.exec(text)?.[1] ?? '?'} (a 2-d (rows, dim) matrix expected)`);
  const header: NpyHeader = {
    rows: Number(shape[1]),
    dim: Number(shape[2]),
    itemBytes: Number(descr[2]),
    littleEndian: descr[1] !== '>',
    dataOffset: 8 + lengthBytes + headerLength,
  };
  if (header.dim === 0) throw fail('its rows are empty (dim 0)');
  const size = (await file.stat()).size;
  const expected = header.dataOffset + header.rows * header.dim * header.itemBytes;
  if (size < expected) throw fail(`it is cut short: ${header.rows} × ${header.dim} values need ${expected} bytes, the file has ${size}`);
  return header;
}
