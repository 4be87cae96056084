// An addBatch slice without metas travels as one UpsertRows (ids, modality, namespace, reused rows) instead of an
// item per row. The model, a replay of the WAL record and the writer's effects must see exactly what the items
// would have given.
import { MemoryModel } from '../src/records/memory-model.js';
import { modelColumns } from '../src/records/model-codec.js';
import type { MemoryId, ModelOp, UpsertItem, UpsertRows } from '../src/records/types.js';
import { decodeWrite, encodeWrite } from '../src/wal/op-codec.js';
import { describe, expect, it } from 'vitest';

/** The items an UpsertRows stands for. */
function itemsOf(rows: UpsertRows): UpsertItem[] {
  return rows.ids.map((id, i) => {
    const item: UpsertItem = { id, modality: rows.modality };
    if (rows.namespace !== undefined) item.namespace = rows.namespace;
    const row = rows.rows?.[i] ?? -1;
    if (row >= 0) item.row = row;
    return item;
  });
}

/** A WAL record's round trip: encoded as the writer logs it, decoded as a replay reads it. */
function replayed(op: ModelOp): ModelOp {
  const parts = encodeWrite({ op, vectors: {} });
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return decodeWrite(bytes, 'test.feather.wal', 1).op as ModelOp;
}

const columns = (m: MemoryModel): number[] => modelColumns(m).flatMap((part) => Array.from(part));

describe('an upsert of rows (UpsertRows)', () => {
  it('places, reuses and updates rows as the same items would, in the model, in a replay and in the effects', () => {
    const slices: UpsertRows[] = [
      { ids: [0, 1, 2, 3, 4, 5], modality: 'text' },
      { ids: ['a', 'b', 6], modality: 'text', namespace: 'tenant' },
    ];
    // After forgetting 1 and 3: reuse both rows (out of order), one new row at the end, and an existing id moved
    // to another namespace (its row is kept; the row given for it is ignored, as for an item).
    const reuse: UpsertRows = { ids: ['c', 2, 'd', 'e'], modality: 'text', namespace: 'other', rows: [3, 0, -1, 1] };
    const byItems = new MemoryModel();
    const byRows = new MemoryModel();
    const byReplay = new MemoryModel();
    const effects: unknown[][] = [[], []];
    const apply = (rows: UpsertRows, now: number): void => {
      effects[0].push(byItems.upsert(itemsOf(rows), now));
      effects[1].push(byRows.upsert(rows, now));
      byReplay.apply(replayed({ type: 'upsert', items: rows, now }));
    };
    slices.forEach((s, i) => apply(s, 1_000 + i));
    const forgotten: MemoryId[] = [1, 3];
    for (const m of [byItems, byRows, byReplay]) m.forget(forgotten);
    apply(reuse, 2_000);
    expect(effects[1]).toEqual(effects[0]);
    expect(columns(byRows)).toEqual(columns(byItems));
    expect(columns(byReplay)).toEqual(columns(byItems));
    expect(byRows.rowOf('c')).toBe(3);
    expect(byRows.rowOf('e')).toBe(1);
    expect(byRows.rowOf(2)).toBe(2);
    expect(byRows.record(byRows.rowOf(2)!)).toMatchObject({ id: 2, namespace: 'other' });
    expect(byRows.record(byRows.rowOf('a')!)).toMatchObject({ id: 'a', namespace: 'tenant', importance: 1, timestamp: 1_001 });
    expect(byRows.count()).toBe(10);
    // Automatic ids continue after the largest integer id placed through rows.
    expect(byRows.peekAutoId()).toBe(7);
  });
});
