// The strings of the memory model: string ids and texts. Those of loaded rows stay UTF-8 in the blobs of the
// COLUMNS section until something reads them; strings set since the load live in maps and win.
import { kLive, kStringId } from './columns-codec.js';
import type { RowColumns } from './row-columns.js';

const kUtf8 = new TextDecoder();
const kUtf8Encoder = new TextEncoder();
/** Longest byte run decoded in JS when it is ASCII: below it, TextDecoder's call and the subarray cost more. */
const kShortAscii = 32;

/** The UTF-8 bytes [from, to) of `blob` as a string (a record reads its text and id this way on every hit). */
function utf8(blob: Uint8Array, from: number, to: number): string {
  if (to - from <= kShortAscii) {
    let s = '';
    for (let i = from; i < to; i++) {
      const c = blob[i];
      if (c >= 0x80) return kUtf8.decode(blob.subarray(from, to));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return kUtf8.decode(blob.subarray(from, to));
}

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
  readonly #base: StringBase;
  /** String ids decoded from the base, and every string id added since the load. */
  readonly #ids = new Map<number, string>();
  /** Texts set since the load (they win over the base). */
  readonly #texts = new Map<number, string>();
  /** Rows below the base's limit that were forgotten and hold a new memory: their base strings are stale. */
  readonly #reused = new Set<number>();

  constructor(base: StringBase = kNoBase) {
    this.#base = base;
  }

  /** The string id of `row` (a row whose flags say it has one). */
  id(row: number): string {
    let id = this.#ids.get(row);
    if (id === undefined) {
      const b = this.#base;
      this.#ids.set(row, (id = utf8(b.idBlob, b.idOffsets[row], b.idOffsets[row + 1])));
    }
    return id;
  }

  text(row: number): string {
    const text = this.#texts.get(row);
    if (text !== undefined || row >= this.#base.limit) return text ?? '';
    const b = this.#base;
    return utf8(b.textBlob, b.textOffsets[row], b.textOffsets[row + 1]);
  }

  setId(row: number, id: string): void {
    this.#ids.set(row, id);
  }

  /** The strings of a new memory in `row` (at the end, or a reused row whose base strings must not show). */
  place(row: number, text: string): void {
    if (row < this.#base.limit) {
      this.#reused.add(row);
      this.#texts.set(row, text);
    } else if (text !== '') {
      this.#texts.set(row, text);
    }
  }

  setText(row: number, text: string): void {
    this.#texts.set(row, text);
  }

  /** A forgotten row's strings go. */
  drop(row: number): void {
    this.#ids.delete(row);
    this.#texts.delete(row);
  }

  /** The live rows' strings as a COLUMNS section stores them: offsets per row and two blobs (UTF-8). */
  encode(cols: RowColumns): { idOffsets: Uint32Array; idBlob: Uint8Array; textOffsets: Uint32Array; textBlob: Uint8Array } {
    const n = cols.n;
    const idOffsets = new Uint32Array(n + 1);
    const textOffsets = new Uint32Array(n + 1);
    const ids = new ByteList();
    const texts = new ByteList();
    const base = this.#base;
    for (let row = 0; row < n; row++) {
      if ((cols.flags[row] & kLive) !== 0) {
        if ((cols.flags[row] & kStringId) !== 0) {
          const decoded = row < base.limit && !this.#reused.has(row) ? undefined : this.#ids.get(row);
          if (decoded === undefined) ids.push(base.idBlob.subarray(base.idOffsets[row], base.idOffsets[row + 1]));
          else ids.pushString(decoded);
        }
        const text = this.#texts.get(row);
        if (text !== undefined) texts.pushString(text);
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
  #bytes: Uint8Array = new Uint8Array(1024);
  length = 0;

  push(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  pushString(s: string): void {
    if (s.length === 0) return;
    this.#room(s.length * 3);
    this.length += kUtf8Encoder.encodeInto(s, this.#bytes.subarray(this.length)).written;
  }

  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }

  #room(more: number): void {
    if (this.length + more <= this.#bytes.length) return;
    const next = new Uint8Array(Math.max(this.length + more, this.#bytes.length * 2));
    next.set(this.#bytes.subarray(0, this.length));
    this.#bytes = next;
  }
}
