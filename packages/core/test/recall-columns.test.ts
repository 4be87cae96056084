// Recall columns in shared memory (records/recall-columns.ts): one model owns and bumps them, another model on
// the same memory reads the same values and skips every recall write; `recall` ops (the batched flush) replay
// into the owner; a save of either model writes the shared values.
import { KernelArena } from '../src/arena.js';
import { FeatherError } from '../src/errors.js';
import { MemoryModel } from '../src/records/memory-model.js';
import { allocateRecallTable } from '../src/records/recall-columns.js';
import type { ModelOp } from '../src/records/types.js';
import { describe, expect, it } from 'vitest';
import { reload } from './helpers.js';

const upsert = (ids: number[], extra: Partial<{ recallCount: number; lastRecalled: number | null }> = {}): ModelOp => ({
  type: 'upsert',
  items: ids.map((id) => ({ id, modality: 'text', ...extra })),
  now: 1_000,
});

/** A mirror (owner) and a writer-side model (reader) over one shared memory, both given the same ops. */
function pair(): { arena: KernelArena; owner: MemoryModel; reader: MemoryModel; both: (op: ModelOp) => void } {
  const arena = KernelArena.create();
  const table = allocateRecallTable(arena);
  const owner = new MemoryModel();
  const reader = new MemoryModel();
  owner.shareRecall(arena, table);
  // The reader sits in another thread's handle on the same memory.
  reader.attachRecall(KernelArena.attach(arena.memory), table);
  const both = (op: ModelOp): void => {
    owner.apply(op);
    reader.apply(op);
  };
  return { arena, owner, reader, both };
}

describe('shared recall columns', () => {
  it('the owner bumps them in place; a model attached to them reads the same values and writes none', () => {
    const { owner, reader, both } = pair();
    both(upsert([1, 2, 3]));
    owner.touch([0, 2, 2], 5_000);
    expect(owner.record(2)).toMatchObject({ recallCount: 2, lastRecalled: 5_000 });
    expect(reader.record(2)).toMatchObject({ recallCount: 2, lastRecalled: 5_000 });
    expect(reader.record(1)).toMatchObject({ recallCount: 0, lastRecalled: null });
    // The reader's own recall writes are skipped: the owner made them already (a touch replayed twice would count twice).
    reader.touch([0], 9_000);
    reader.apply({ type: 'recall', rows: [0], counts: [40], lasts: [1] });
    expect(owner.record(0)).toMatchObject({ recallCount: 1, lastRecalled: 5_000 });
    expect(reader.toSnapshot()).toEqual(owner.toSnapshot());
  });

  it('a reader that read a row before its chunk existed sees the values once the owner allocates it', () => {
    const { owner, reader, both } = pair();
    both(upsert([1]));
    const ids = Array.from({ length: 20_000 }, (_, i) => 100 + i);
    // The reader learns of rows past the first chunk before the owner has allocated theirs.
    reader.apply(upsert(ids));
    expect(reader.record(19_000)).toMatchObject({ recallCount: 0, lastRecalled: null });
    owner.apply(upsert(ids));
    owner.touch([19_000, 19_000, 0], 77);
    expect(reader.record(19_000)).toMatchObject({ recallCount: 2, lastRecalled: 77 });
    expect(reader.record(0)).toMatchObject({ recallCount: 1, lastRecalled: 77 });
  });

  it('keep the values the owner had before sharing, and grow past a chunk (16,384 rows)', () => {
    const arena = KernelArena.create();
    const owner = new MemoryModel();
    owner.apply(upsert([7, 8], { recallCount: 3, lastRecalled: 42 }));
    owner.shareRecall(arena, allocateRecallTable(arena));
    expect(owner.record(1)).toMatchObject({ recallCount: 3, lastRecalled: 42 });
    const ids = Array.from({ length: 20_000 }, (_, i) => 100 + i);
    owner.apply(upsert(ids));
    owner.touch([19_000, 19_000, 1], 77);
    expect(owner.record(19_000)).toMatchObject({ recallCount: 2, lastRecalled: 77 });
    expect(owner.record(18_999)).toMatchObject({ recallCount: 0, lastRecalled: null });
    expect(owner.record(1)).toMatchObject({ recallCount: 4, lastRecalled: 77 });
  });

  it('a save of the reading model writes the shared values (COLUMNS round trip)', () => {
    const { owner, reader, both } = pair();
    both(upsert([1, 2]));
    both({ type: 'forget', ids: [1] });
    owner.touch([1, 1, 1], 123.5);
    const loaded = reload(reader);
    expect(loaded.record(1)).toMatchObject({ id: 2, recallCount: 3, lastRecalled: 123.5 });
    expect(loaded.record(0)).toBeUndefined();
    expect(loaded.toSnapshot()).toEqual(owner.toSnapshot());
  });

  it('a recall op sets absolute values on replay, skips forgotten rows, and the op of a flush carries live rows only', () => {
    const { owner, both } = pair();
    both(upsert([1, 2, 3]));
    owner.touch([0, 1], 10);
    owner.touch([1], 20);
    const op = owner.recallOp([0, 1, 2]);
    expect(op).toEqual({ type: 'recall', rows: [0, 1, 2], counts: [1, 2, 0], lasts: [10, 20, null] });
    // Row 1 (id 2) forgotten before the next flush: left out of it.
    both({ type: 'forget', ids: [2] });
    expect(owner.recallOp([0, 1, 2]).rows).toEqual([0, 2]);
    // Replayed into a fresh owner that went through the same writes: the logged values come back, and a row
    // forgotten between the writes and the record is skipped.
    const replay = new MemoryModel();
    replay.apply(upsert([1, 2, 3]));
    replay.apply({ type: 'forget', ids: [1] });
    replay.apply(op);
    expect(replay.record(0)).toBeUndefined();
    expect([1, 2].map((row) => replay.record(row)!.recallCount)).toEqual([2, 0]);
    expect(replay.record(1)!.lastRecalled).toBe(20);
    expect(replay.record(2)!.lastRecalled).toBeNull();
  });

  it('a damaged recall op is rejected as corrupt, before any value changes', () => {
    const m = new MemoryModel();
    m.apply(upsert([1, 2]));
    const bad: ModelOp[] = [
      { type: 'recall', rows: [0, 1], counts: [1], lasts: [1, 1] },
      { type: 'recall', rows: [0, 1], counts: [1, -1], lasts: [1, 1] },
      { type: 'recall', rows: [0, 1], counts: [1, 1.5], lasts: [1, 1] },
      { type: 'recall', rows: [0, -1], counts: [1, 1], lasts: [1, 1] },
      { type: 'recall', rows: [0, 1], counts: [1, 1], lasts: [1, Number.POSITIVE_INFINITY] },
    ];
    for (const op of bad) {
      expect(() => m.apply(op)).toThrow(FeatherError);
      expect(() => m.apply(op)).toThrow(expect.objectContaining({ code: 'FEATHER_ERR_CORRUPT' }));
      expect(m.record(0)!.recallCount).toBe(0);
    }
  });
});
