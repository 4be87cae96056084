// The strings of the memory model: string ids and texts, UTF-8 throughout. Those of loaded rows stay in the
// blobs of the COLUMNS section; strings set since the load are in string columns (string-column.ts) and win.
// Nothing is cached as a JS string: a record decodes its id and text when it is read.
import type { Buffer } from 'node:buffer';
import { kLive, kStringId } from './columns-codec.js';
import { grownColumn, scratchArray, unsharedColumn } from '../growable.js';
import type { RowColumns } from './row-columns.js';
import { bufferOf, StringColumn, utf8 } from './string-column.js';

/** The loaded rows' strings, still UTF-8: rows below `limit` read theirs here unless replaced. */
export interface StringBase {
  limit: number;
  idOffsets: Uint32Array;
  idBlob: Uint8Array;
  textOffsets: Uint32Array;
  textBlob: Uint8Array;
}

const kNoBase: StringBase = {
  limit: 0,
  idOffsets: new Uint32Array(1),
  idBlob: new Uint8Array(0),
  textOffsets: new Uint32Array(1),
  textBlob: new Uint8Array(0),
};

export class RowStrings {
  #base: StringBase;
  /** The base's blobs as Buffers (decoded natively). */
  readonly #idBlob: Buffer;
  readonly #textBlob: Buffer;
  /** String ids set since the load (of new rows, and of loaded rows that hold a new memory). */
  readonly #ids = new StringColumn();
  /** Texts set since the load; a loaded row that holds a new memory always has one here (its base text is stale). */
  readonly #texts = new StringColumn();

  constructor(base: StringBase = kNoBase) {
    this.#base = base;
    this.#idBlob = bufferOf(base.idBlob);
    this.#textBlob = bufferOf(base.textBlob);
  }

  /** The string id of `row` (a row whose flags say it has one). */
  id(row: number): string {
    const id = this.#ids.get(row);
    if (id !== undefined) return id;
    const b = this.#base;
    return utf8(this.#idBlob, b.idOffsets[row], b.idOffsets[row + 1]);
  }

  text(row: number): string {
    const text = this.#texts.get(row);
    if (text !== undefined || row >= this.#base.limit) return text ?? '';
    const b = this.#base;
    return utf8(this.#textBlob, b.textOffsets[row], b.textOffsets[row + 1]);
  }

  setId(row: number, id: string): void {
    this.#ids.set(row, id);
  }

  /** The strings of a new memory in `row` (at the end, or a reused row whose base strings must not show). */
  place(row: number, text: string): void {
    if (row < this.#base.limit || text !== '') this.#texts.set(row, text);
  }

  setText(row: number, text: string): void {
    this.#texts.set(row, text);
  }

  /** A forgotten row's strings go. */
  drop(row: number): void {
    this.#ids.delete(row);
    this.#texts.delete(row);
  }

  /**
   * Copies the base's offsets into this thread's memory if they view shared bytes (MemoryModel, "borrowed"):
   * never written, but their views would keep the columns' shared buffer alive. The blobs stay views: an open
   * reads them into a buffer of their own, which both threads' models read for as long as the store is open.
   */
  unshare(): void {
    const b = this.#base;
    this.#base = {
      ...b,
      idOffsets: unsharedColumn(b.idOffsets, Uint32Array, false),
      textOffsets: unsharedColumn(b.textOffsets, Uint32Array, false),
    };
  }

  /** Bytes of the loaded rows' blobs in shared memory (an open's read, which the other thread's model views too). */
  get sharedBytes(): number {
    const b = this.#base;
    return (
      (b.idBlob.buffer instanceof SharedArrayBuffer ? b.idBlob.byteLength : 0) +
      (b.textBlob.buffer instanceof SharedArrayBuffer ? b.textBlob.byteLength : 0)
    );
  }

  /** Bytes of every string: the loaded rows' blobs and offsets, and the strings set since. */
  get byteLength(): number {
    const b = this.#base;
    return (
      b.idOffsets.byteLength +
      b.idBlob.byteLength +
      b.textOffsets.byteLength +
      b.textBlob.byteLength +
      this.#ids.byteLength +
      this.#texts.byteLength
    );
  }

  /** The live rows' strings as a COLUMNS section stores them: offsets per row and two blobs (UTF-8). */
  encode(cols: RowColumns): { idOffsets: Uint32Array; idBlob: Uint8Array; textOffsets: Uint32Array; textBlob: Uint8Array } {
    const n = cols.n;
    const idOffsets = scratchArray(Uint32Array, n + 1);
    const textOffsets = scratchArray(Uint32Array, n + 1);
    const ids = new ByteList();
    const texts = new ByteList();
    const base = this.#base;
    for (let row = 0; row < n; row++) {
      if ((cols.flags[row] & kLive) !== 0) {
        if ((cols.flags[row] & kStringId) !== 0)
          ids.push(this.#ids.bytes(row) ?? base.idBlob.subarray(base.idOffsets[row], base.idOffsets[row + 1]));
        const text = this.#texts.bytes(row);
        if (text !== undefined) texts.push(text);
        else if (row < base.limit) texts.push(base.textBlob.subarray(base.textOffsets[row], base.textOffsets[row + 1]));
      }
      idOffsets[row + 1] = ids.length;
      textOffsets[row + 1] = texts.length;
    }
    return { idOffsets, idBlob: ids.bytes(), textOffsets, textBlob: texts.bytes() };
  }
}

/** Growable bytes for the string blobs a save writes. */
class ByteList {
  #bytes: Uint8Array = scratchArray(Uint8Array, 1024, 1 << 20);
  length = 0;

  push(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }

  #room(more: number): void {
    if (this.length + more <= this.#bytes.length) return;
    this.#bytes = grownColumn(this.#bytes, Uint8Array, Math.max(this.length + more, this.#bytes.length * 2), this.length);
  }
}
