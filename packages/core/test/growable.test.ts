// Record columns that grow in place (records/growable.ts): resizable buffers from the page allocator, grown
// without a copy while their reservation lasts, and copied into a larger one when it runs out.
import { describe, expect, it } from 'vitest';
import { grownColumn, pageArray, releaseOwned, releaseScratch, scratchArray } from '../src/growable.js';
import { RowColumns } from '../src/records/row-columns.js';

describe('grownColumn', () => {
  it('moves a plain array into a resizable buffer, keeping the first `keep` elements and zeroing the rest', () => {
    const plain = Float64Array.from([1.5, -2, 3, 99]);
    const grown = grownColumn(plain, Float64Array, 100, 3);
    expect(grown.length).toBe(100);
    expect(grown.buffer instanceof ArrayBuffer && grown.buffer.resizable).toBe(true);
    expect(Array.from(grown.subarray(0, 4))).toEqual([1.5, -2, 3, 0]);
    expect(grown.subarray(3).every((x) => x === 0)).toBe(true);
  });

  it('grows in place inside its reservation and copies once past it', () => {
    let column = grownColumn(new Uint32Array(0), Uint32Array, 16, 0);
    const first = column.buffer;
    const reserved = first.maxByteLength / 4;
    for (let i = 0; i < 16; i++) column[i] = i + 1;
    column = grownColumn(column, Uint32Array, reserved, 16);
    expect(column.buffer).toBe(first);
    expect(column.length).toBe(reserved);
    column[reserved - 1] = 7;
    column = grownColumn(column, Uint32Array, reserved + 1, reserved);
    expect(column.buffer).not.toBe(first);
    expect(column.length).toBe(reserved + 1);
    expect(Array.from(column.subarray(0, 16))).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(column[reserved - 1]).toBe(7);
    expect(column[reserved]).toBe(0);
  });

  it('copies a view that does not start its buffer (a column of a loaded file)', () => {
    const file = new Uint8Array(64).map((_, i) => i);
    const view = new Uint32Array(file.buffer, 16, 4);
    const grown = grownColumn(view, Uint32Array, 8, 4);
    expect(Array.from(grown)).toEqual([...Array.from(view), 0, 0, 0, 0]);
    expect(file[16]).toBe(16);
  });
});

describe('pageArray', () => {
  it('is a zeroed array of the length asked for', () => {
    const a = pageArray(Int32Array, 1 << 17);
    expect(a.length).toBe(1 << 17);
    expect(a.every((x) => x === 0)).toBe(true);
  });
});

describe('scratch arrays', () => {
  it('are given back by releaseScratch, through any view of them, and other arrays are left alone', () => {
    const temp = scratchArray(Uint32Array, 1000).fill(3);
    const column = grownColumn(new Uint32Array(0), Uint32Array, 1000, 0).fill(4);
    const plain = new Uint32Array(1000).fill(5);
    releaseScratch([new Uint8Array(temp.buffer, 8, 16), column, plain]);
    expect(temp.buffer.byteLength).toBe(0);
    expect(temp.length).toBe(0);
    expect(column.length).toBe(1000);
    expect(column.every((x) => x === 4)).toBe(true);
    expect(plain.every((x) => x === 5)).toBe(true);
  });

  it('stay scratch when they outgrow their reservation, and the outgrown memory goes at once', () => {
    const first = scratchArray(Uint8Array, 8, 8).fill(9);
    const grown = grownColumn(first, Uint8Array, 64, 8);
    expect(first.buffer.byteLength).toBe(0);
    expect(Array.from(grown.subarray(0, 9))).toEqual([9, 9, 9, 9, 9, 9, 9, 9, 0]);
    releaseScratch([grown]);
    expect(grown.length).toBe(0);
  });
});

describe('releaseOwned', () => {
  it('gives back every page-allocated buffer it is handed, scratch or not, and leaves malloc-backed ones alone', () => {
    const moved = pageArray(Float32Array, 4096).fill(1.5);
    const temp = scratchArray(Uint8Array, 64);
    const plain = new Float32Array(16).fill(2);
    releaseOwned([moved, new Uint8Array(temp.buffer, 0, 8), plain]);
    expect([moved.length, temp.length, moved.buffer.byteLength]).toEqual([0, 0, 0]);
    expect(plain.every((x) => x === 2)).toBe(true);
    // A released scratch array is no longer scratch: releasing it again is a no-op.
    releaseScratch([temp]);
    expect(temp.buffer.byteLength).toBe(0);
  });
});

describe('RowColumns.grow', () => {
  it('keeps every column of the rows written when the columns grow past several reservations', () => {
    const c = new RowColumns();
    const rows = 300_000;
    for (let row = 0; row < rows; row++) {
      c.grow(1);
      c.n = row + 1;
      c.flags[row] = row & 0xff;
      c.idNum[row] = row * 1.5;
      c.timestamp[row] = row + 0.25;
      c.attrCount[row] = row % 7;
      c.recall.set(row, row % 5, row);
    }
    for (let row = 0; row < rows; row += 997) {
      expect([c.flags[row], c.idNum[row], c.timestamp[row], c.attrCount[row]]).toEqual([row & 0xff, row * 1.5, row + 0.25, row % 7]);
      expect([c.recall.count(row), c.recall.last(row)]).toEqual([row % 5, row]);
    }
  });
});
