// The id table grows a few slots per write (records/id-index.ts): while a growth is under way a row sits in the
// old table or the new one, and every lookup, insert and delete must find it wherever it is.
import { describe, expect, it } from 'vitest';
import { IdIndex, idHash } from '../src/records/id-index.js';

/** A table over rows whose ids are `ids[row]` (numbers; a row's id is matched by value). */
function tableOf(ids: number[]): { index: IdIndex; lookup: (id: number) => number } {
  const index = new IdIndex(0, (row) => idHash(ids[row]));
  const match = (row: number, id: number): boolean => ids[row] === id;
  return { index, lookup: (id) => index.find(idHash(id), match, id, undefined) };
}

/** A table of 16,384 slots holding 8,192 rows (ids row · 7919): full at a load of one half, so the next insert grows it. */
function fullTable(): { ids: number[]; index: IdIndex; lookup: (id: number) => number; put: () => void; rows: () => number } {
  const ids: number[] = [];
  const { index, lookup } = tableOf(ids);
  const put = (): void => {
    const row = ids.length;
    ids.push(row * 7919);
    index.insert(row, idHash(ids[row]));
  };
  while (!(index.byteLength === 16_384 * 4 && index.size === 8192)) put();
  return { ids, index, lookup, put, rows: () => ids.length };
}

describe('IdIndex growth', () => {
  it('spreads a growth over later writes: both tables are held until the old one is emptied', () => {
    const { index, put, rows } = fullTable();
    // The next insert starts a growth to 32,768 slots.
    put();
    expect(index.byteLength).toBe((16_384 + 32_768) * 4);
    // That insert moved the first 16 slots of the old table; 16 a write, 1,023 more writes empty it.
    for (let i = 0; i < 1022; i++) put();
    expect(index.byteLength).toBe((16_384 + 32_768) * 4);
    put();
    expect(index.byteLength).toBe(32_768 * 4);
    expect(index.size).toBe(rows());
  });

  it('keeps the table a save stores at most half full while a growth is under way', () => {
    const { ids, index, lookup, put, rows } = fullTable();
    // Two rows forgotten: the table holds 8,190 rows and two tombstones, and the next insert starts a growth
    // whose rows (8,191) would fit a table of the same size; a few writes later a save takes the table.
    index.delete(5, idHash(ids[5]));
    index.delete(6, idHash(ids[6]));
    for (let i = 0; i < 3; i++) put();
    const saved = index.slots;
    const taken = saved.reduce((n, s) => n + (s !== 0 ? 1 : 0), 0);
    expect(taken * 2).toBeLessThanOrEqual(saved.length);
    expect(index.size).toBe(rows() - 2);
    for (let r = 0; r < rows(); r++) expect(lookup(ids[r])).toBe(r === 5 || r === 6 ? -1 : r);
  });

  it('finds, refuses duplicates of and deletes rows in either table while a growth is under way', () => {
    const ids: number[] = [];
    const { index, lookup } = tableOf(ids);
    const same = (other: number, row: number): boolean => ids[other] === ids[row];
    const live = new Map<number, number>();
    let row = 0;
    const add = (id: number): number => {
      ids[row] = id;
      const existing = index.insertUnique(row, idHash(id), same);
      if (existing < 0) live.set(id, row);
      row++;
      return existing;
    };
    for (let i = 0; i < 20_000; i++) {
      // Ids spread over a wide range (a growth moves rows whose probe chains wrap), every seventh one forgotten
      // at once, and every 101st added a second time: the table must answer with the row it already holds.
      const id = (i * 2_654_435_761) % 1_000_003;
      expect(add(id)).toBe(-1);
      if (i % 101 === 0) expect(add(id)).toBe(live.get(id));
      if (i % 7 === 3) {
        index.delete(live.get(id)!, idHash(id));
        live.delete(id);
      }
      // Each lookup in the middle of the growths: the newest id, and one from long before.
      expect(lookup(id)).toBe(live.get(id) ?? -1);
      const earlier = ((i >> 1) * 2_654_435_761) % 1_000_003;
      expect(lookup(earlier)).toBe(live.get(earlier) ?? -1);
      // And forgetting rows added long before (moved by a growth, or still in the old table).
      if (i % 13 === 5 && live.has(earlier)) {
        index.delete(live.get(earlier)!, idHash(earlier));
        live.delete(earlier);
        expect(lookup(earlier)).toBe(-1);
      }
    }
    expect(index.size).toBe(live.size);
    for (const [id, at] of live) expect(lookup(id)).toBe(at);
    // What a save stores is one whole table (a growth under way finished): adopted again, it finds every row.
    const saved = index.slots.slice();
    expect(index.byteLength).toBe(saved.byteLength);
    const again = IdIndex.adopt(saved, (r) => idHash(ids[r]));
    expect(again.size).toBe(live.size);
    const match = (r: number, id: number): boolean => ids[r] === id;
    for (const [id, at] of live) expect(again.find(idHash(id), match, id, undefined)).toBe(at);
  });
});
