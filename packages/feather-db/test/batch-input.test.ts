// addBatch input (main/batch-input.ts): row access for both input shapes, the shape checks, and the slices:
// every row validated before any op is built, one upsert per kBatchSliceRows rows, auto ids read in turn, and
// each slice's vectors in a buffer of its own (they move to the writer).
import { FeatherError, MemoryModel } from '@feather-db/core';
import { turnsDuring } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { batchSlices, checkBatch, copyRows, kBatchSliceRows, rowCount, sliceRow } from '../src/main/batch-input.js';
import { Spaces } from '../src/main/spaces.js';

const spaces = new Spaces([{ name: 'text', dim: 2, metric: 'cosine' }]);

describe('batch rows', () => {
  it('counts, slices and copies a flat Float32Array and an array of vectors alike', () => {
    const flat = Float32Array.of(1, 2, 3, 4, 5, 6);
    const rows = [[1, 2], Float32Array.of(3, 4), [5, 6]];
    expect(rowCount(flat, 2)).toBe(3);
    expect(rowCount(rows, 2)).toBe(3);
    expect(Array.from(sliceRow(flat, 1, 2) as Float32Array)).toEqual([3, 4]);
    expect(sliceRow(rows, 2, 2)).toBe(rows[2]);
    expect(Array.from(copyRows(flat, 1, 3, 2))).toEqual([3, 4, 5, 6]);
    expect(Array.from(copyRows(rows, 0, 2, 2))).toEqual([1, 2, 3, 4]);
    expect(() => rowCount(Float32Array.of(1, 2, 3), 2)).toThrow(/positive multiple of 2 floats, got 3/);
    expect(() => rowCount([], 2)).toThrow(FeatherError);
  });

  it('checks ids and metas against the row count before any row', () => {
    expect(checkBatch(spaces, [[1, 0]], { namespace: 'n' })).toMatchObject({ rows: 1, modality: 'text', namespace: 'n' });
    expect(() =>
      checkBatch(
        spaces,
        [
          [1, 0],
          [0, 1],
        ],
        { ids: [1] },
      ),
    ).toThrow('options.ids must be an array of 2 ids (one per row), got an array of length 1');
    expect(() => checkBatch(spaces, [[1, 0]], { metas: {} as never })).toThrow(/options.metas must be an array of 1 objects/);
    expect(() => checkBatch(spaces, [[1, 0]], { modality: 'image' })).toThrow(/must be one of the store's modalities \(text\)/);
  });
});

describe('batchSlices', () => {
  it('refuses the batch at its first bad row, naming it, before building any op', async () => {
    const vectors = [
      [1, 0],
      [0, 0],
      [Number.NaN, 1],
    ];
    await expect(batchSlices(new MemoryModel(), spaces, checkBatch(spaces, vectors, undefined))).rejects.toThrow(
      'vectors[1] must not be all zeros under the cosine metric: it has no direction; drop it or use metric "l2"',
    );
    const l2 = new Spaces([{ name: 'text', dim: 2, metric: 'l2' }]);
    const rows = Array.from({ length: kBatchSliceRows + 2 }, (_, r) =>
      r === kBatchSliceRows + 1 ? [0, Number.POSITIVE_INFINITY] : [r, 1],
    );
    await expect(batchSlices(new MemoryModel(), l2, checkBatch(l2, rows, undefined))).rejects.toThrow(
      `vectors[${kBatchSliceRows + 1}][1] must be a finite float32 number, got Infinity`,
    );
    await expect(batchSlices(new MemoryModel(), spaces, checkBatch(spaces, [[1, 0]], { metas: [{ importance: -1 }] }))).rejects.toThrow(
      /options.metas\[0\].importance/,
    );
  });

  it("cuts one upsert per slice, applies the batch namespace under each meta, and reads auto ids in each slice's turn", async () => {
    const n = kBatchSliceRows + 3;
    const vectors = new Float32Array(n * 2).fill(1);
    const metas = Array.from({ length: n }, (_, i) => (i === 0 ? { namespace: 'own', text: 'first' } : {}));
    const model = new MemoryModel();
    model.upsert([{ id: 5 }], 0);
    const slices = await batchSlices(model, spaces, checkBatch(spaces, vectors, { metas, namespace: 'batch' }));
    expect(slices).toHaveLength(2);
    const first = slices[0]();
    if (first.op.type !== 'upsert' || !Array.isArray(first.op.items)) throw new Error('expected an upsert of items');
    expect(first.op.items).toHaveLength(kBatchSliceRows);
    expect(first.value.slice(0, 3)).toEqual([6, 7, 8]);
    expect(first.op.items[0]).toMatchObject({ namespace: 'own', text: 'first', modality: 'text' });
    expect(first.op.items[1]).toMatchObject({ namespace: 'batch' });
    expect(first.vectors!['text'].length).toBe(kBatchSliceRows * 2);
    // The second slice reads the next auto id when its own turn comes (after the first is applied).
    model.apply(first.op);
    expect(slices[1]().value).toEqual([6 + kBatchSliceRows, 7 + kBatchSliceRows, 8 + kBatchSliceRows]);
  });

  it("hands each slice a buffer of its own, a whole chunk of the snapshot where it can, never the caller's", async () => {
    const n = 2 * kBatchSliceRows + 5;
    const vectors = Float32Array.from({ length: n * 2 }, (_, i) => 1 + (i % 97));
    const batch = checkBatch(spaces, vectors, undefined);
    const slices = (await batchSlices(new MemoryModel(), spaces, batch)).map((prepare) => prepare().vectors!['text']);
    expect(slices.map((s) => s.length / 2)).toEqual([kBatchSliceRows, kBatchSliceRows, 5]);
    for (const [i, s] of slices.entries()) {
      // A buffer of its own: moving it to the writer (write-queue.ts) takes nothing else along.
      expect(s.byteOffset).toBe(0);
      expect(s.buffer.byteLength).toBe(s.byteLength);
      expect(s).toBe(batch.chunks[i]);
      expect(s.buffer).not.toBe(vectors.buffer);
    }
    expect(Array.from(slices.flatMap((s) => Array.from(s)))).toEqual(Array.from(vectors));
  });

  it('cuts a slice at each chunk of the snapshot as well as at the byte cap, and keeps every row in order', async () => {
    // ~180 KB bound per memory: the 64 MiB cap cuts inside the first chunk, and the chunk's end cuts again.
    const n = kBatchSliceRows + 100;
    const text = 'x'.repeat(60_000);
    const vectors = Float32Array.from({ length: n * 2 }, (_, i) => 1 + i);
    const slices = (
      await batchSlices(new MemoryModel(), spaces, checkBatch(spaces, vectors, { metas: Array.from({ length: n }, () => ({ text })) }))
    ).map((prepare) => prepare().vectors!['text']);
    let row = 0;
    for (const s of slices) {
      const rows = s.length / 2;
      expect(Math.floor(row / kBatchSliceRows)).toBe(Math.floor((row + rows - 1) / kBatchSliceRows));
      expect(s.buffer.byteLength).toBe(s.byteLength);
      expect(Array.from(s)).toEqual(Array.from(vectors.subarray(row * 2, (row + rows) * 2)));
      row += rows;
    }
    expect(row).toBe(n);
    expect(slices.length).toBeGreaterThan(2);
  });

  it('copies a chunk over several turns at a high dimension and still hands it over whole', async () => {
    // 2,048-d: a turn copies 32 rows (256 KiB), so a 1,024-row chunk takes 32 turns.
    const wide = new Spaces([{ name: 'text', dim: 2048, metric: 'l2' }]);
    const n = kBatchSliceRows + 7;
    const vectors = Float32Array.from({ length: n * 2048 }, (_, i) => (i % 1013) - 500);
    const batch = checkBatch(wide, vectors, undefined);
    expect(batch.chunks).toEqual([]);
    // Another task gets its turns between the pass's parts.
    const { value: slices, turns } = await turnsDuring(() => batchSlices(new MemoryModel(), wide, batch));
    expect(turns).toBeGreaterThanOrEqual(32);
    const out = slices.map((prepare) => prepare().vectors!['text']);
    expect(out.map((s) => s.length / 2048)).toEqual([kBatchSliceRows, 7]);
    expect(out[0].buffer.byteLength).toBe(out[0].byteLength);
    expect(Array.from(out[1])).toEqual(Array.from(vectors.subarray(kBatchSliceRows * 2048)));
  });

  it('refuses a batch changed between the call and its reading, naming the row, before building any op', async () => {
    const l2 = new Spaces([{ name: 'text', dim: 2, metric: 'l2' }]);
    const flat = Float32Array.from({ length: 6 }, (_, i) => i + 1);
    const batch = checkBatch(l2, flat, undefined);
    flat.set([9, 9], 2);
    const refused = batchSlices(new MemoryModel(), l2, batch);
    await expect(refused).rejects.toMatchObject({ code: 'FEATHER_ERR_INVALID_ARGUMENT' });
    await expect(refused).rejects.toThrow(/^vectors\[1\] changed while addBatch was reading it .*await it before changing or reusing them/);
    const rows = [
      [1, 2],
      [3, 4],
    ];
    const fromRows = checkBatch(l2, rows, undefined);
    rows[0] = [5, 6];
    await expect(batchSlices(new MemoryModel(), l2, fromRows)).rejects.toThrow(/vectors\[0\] changed while addBatch was reading it/);
    // Detached (moved to another thread, say): refused, not read as empty.
    const moved = Float32Array.of(1, 2, 3, 4);
    const detached = checkBatch(l2, moved, undefined);
    structuredClone(moved.buffer, { transfer: [moved.buffer] });
    await expect(batchSlices(new MemoryModel(), l2, detached)).rejects.toThrow(
      'vectors held 4 floats at the call and 0 when read: its buffer was resized or detached before addBatch settled',
    );
  });

  it('keeps the ids given, one per row', async () => {
    const slices = await batchSlices(
      new MemoryModel(),
      spaces,
      checkBatch(
        spaces,
        [
          [1, 0],
          [0, 1],
        ],
        { ids: [100, 'b'] },
      ),
    );
    expect(slices[0]().value).toEqual([100, 'b']);
    await expect(batchSlices(new MemoryModel(), spaces, checkBatch(spaces, [[1, 0]], { ids: [-1] }))).rejects.toThrow(
      /options.ids\[0\] must be a non-empty string/,
    );
  });
});
