// Strings by row as UTF-8 in one growing byte array: the ids and texts written since a load (row-strings.ts).
// A Map of JS strings held ~170 bytes per row of a short id and text beside the characters (the string
// objects and the map's entries), and in two heaps (the facade's mirror and the writer's model); here a row
// costs its UTF-8 bytes and 8 bytes of position, all outside V8's heap.
import { Buffer } from 'node:buffer';
import { growableColumn, grownColumn } from '../growable.js';

/** Replaced and deleted bytes are dropped (the blob rewritten) once they are this many and half the blob. */
const kCompactBytes = 64 * 1024;

/** `bytes` as a Buffer over the same memory (no copy), whose ranges decode natively. */
export function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The UTF-8 bytes [from, to) of `blob` as a string: Buffer's native decode, ~60 ns for 30 bytes here, against
 * ~170 for a JS loop and ~115 for TextDecoder (a record decodes its id and text on every read).
 */
export function utf8(blob: Buffer, from: number, to: number): string {
  return blob.toString('utf8', from, to);
}

export class StringColumn {
  #starts = new Uint32Array(0);
  /** Per row, its string's byte length + 1; 0: no string set. */
  #lengths = new Uint32Array(0);
  #blob: Buffer = Buffer.alloc(0);
  #used = 0;
  /** Bytes of the blob no row points to (replaced or deleted strings). */
  #garbage = 0;
  /** One past the highest row ever set. */
  #rows = 0;

  has(row: number): boolean {
    return row < this.#rows && this.#lengths[row] !== 0;
  }

  /** The string set for `row`, or undefined. */
  get(row: number): string | undefined {
    if (!this.has(row)) return undefined;
    const from = this.#starts[row];
    return utf8(this.#blob, from, from + this.#lengths[row] - 1);
  }

  /** The UTF-8 bytes of `row`'s string (a view, valid until the next set), or undefined. */
  bytes(row: number): Uint8Array | undefined {
    if (!this.has(row)) return undefined;
    const from = this.#starts[row];
    return this.#blob.subarray(from, from + this.#lengths[row] - 1);
  }

  set(row: number, s: string): void {
    this.delete(row);
    this.#room(s.length * 3);
    this.#grow(row + 1);
    const written = this.#blob.write(s, this.#used, 'utf8');
    this.#starts[row] = this.#used;
    this.#lengths[row] = written + 1;
    this.#used += written;
  }

  delete(row: number): void {
    if (!this.has(row)) return;
    this.#garbage += this.#lengths[row] - 1;
    this.#lengths[row] = 0;
  }

  /** Bytes this column has written to (its blob and its rows' positions): what it adds to a process's memory. */
  get byteLength(): number {
    return this.#used + 8 * this.#rows;
  }

  /** Room for `more` bytes at the end, dropping garbage first when it is most of the blob. */
  #room(more: number): void {
    if (this.#used + more <= this.#blob.length) return;
    const live = this.#used - this.#garbage;
    const compact = this.#garbage >= kCompactBytes && this.#garbage * 2 >= this.#used;
    const size = Math.max(1024, 2 * ((compact ? live : this.#used) + more));
    if (!compact) {
      this.#blob = bufferOf(grownColumn<Uint8Array>(this.#blob, Uint8Array, size, this.#used));
    } else {
      const next = bufferOf(growableColumn(Uint8Array, size));
      let at = 0;
      for (let row = 0; row < this.#rows; row++) {
        const length = this.#lengths[row] - 1;
        if (length < 0) continue;
        next.set(this.#blob.subarray(this.#starts[row], this.#starts[row] + length), at);
        this.#starts[row] = at;
        at += length;
      }
      this.#used = at;
      this.#garbage = 0;
      this.#blob = next;
    }
  }

  /** Positions for rows below `rows`. */
  #grow(rows: number): void {
    if (rows > this.#lengths.length) {
      const capacity = Math.max(rows, 2 * this.#lengths.length, 64);
      this.#starts = grownColumn(this.#starts, Uint32Array, capacity, this.#rows);
      this.#lengths = grownColumn(this.#lengths, Uint32Array, capacity, this.#rows);
    }
    this.#rows = Math.max(this.#rows, rows);
  }
}
