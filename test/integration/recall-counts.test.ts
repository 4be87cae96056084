// A search is a read (design.md §2, §3): recall counts are bumped in shared memory at once and reach the WAL in
// batches (one `recall` record per flush interval, and at close); save writes them into the file. These tests
// count WAL records to show that searches write nothing on their own, and reopen stores to show that the
// counts survive a save, a close and a reopen. The crash window is test/crash/recall-window.test.ts.
import { existsSync } from 'node:fs';
import { nodeFileIo, readWal } from '@feather-db/core';
import { clusteredVectors, row, tempStorePath } from '@feather-db/testkit';
import { Feather, type MemoryId } from 'feather-db';
import { afterAll, describe, expect, it } from 'vitest';

const open: Feather[] = [];
afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
});

async function opened(path: string, options?: Parameters<typeof Feather.open>[1]): Promise<Feather> {
  const db = await Feather.open(path, { threads: 2, ...options });
  open.push(db);
  return db;
}

const dim = 8;
const data = clusteredVectors({ n: 400, dim, seed: 91 });
const queries = clusteredVectors({ n: 30, dim, seed: 92 });
const kNow = Date.UTC(2027, 5, 1);
const ids = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? i : `m${i}`));

/** Records in the WAL of `path` (0 when there is none). */
function walRecords(path: string): number {
  return existsSync(`${path}.wal`) ? readWal(nodeFileIo(), `${path}.wal`).records.length : 0;
}

function recallState(db: Feather): unknown[] {
  return ids.map((id) => {
    const r = db.get(id);
    return r === undefined ? null : [r.recallCount, r.lastRecalled];
  });
}

async function searchAll(db: Feather, from: number, options: { track?: boolean } = {}): Promise<MemoryId[][]> {
  const out: MemoryId[][] = [];
  for (let q = 0; q < queries.length / dim; q++) {
    const hits = await db.search(row(queries, dim, q), { k: 5, now: from + q, ...options });
    out.push(hits.map((h) => h.id));
  }
  return out;
}

describe('recall counts', () => {
  it('searches write nothing to the WAL by themselves: one record per flush, and one at close', async () => {
    const path = tempStorePath('recall.feather');
    const db = await opened(path, { dim, recallFlushMs: 3_600_000 });
    await db.addBatch(data, { ids: ids.slice() });
    const before = walRecords(path);
    const found = await searchAll(db, kNow);
    await searchAll(db, kNow + 100);
    await db.contextChain(row(queries, dim, 0), { k: 3, now: kNow + 200 });
    // Visible at once (get reads the shared columns) although nothing reached the writer.
    const hit = found[0][0];
    expect(db.get(hit)!.recallCount).toBeGreaterThanOrEqual(2);
    expect(walRecords(path)).toBe(before);
    const counts = recallState(db);
    await db.close();
    expect(walRecords(path)).toBe(before + 1);
    const again = await opened(path);
    expect(recallState(again)).toEqual(counts);
    expect((await again.checkIntegrity()).problems).toEqual([]);
  });

  it('survive save, close and reopen, from the file and from the WAL', async () => {
    const path = tempStorePath('recall.feather');
    const db = await opened(path, { dim });
    await db.addBatch(data, { ids: ids.slice() });
    await db.forget([ids[3], ids[4]]);
    await searchAll(db, kNow);
    await db.save();
    const saved = recallState(db);
    // Bumps after the save reach the WAL at close (the file holds the ones before).
    await searchAll(db, kNow + 1000);
    const closed = recallState(db);
    expect(closed).not.toEqual(saved);
    await db.close();

    const fromWal = await opened(path);
    expect(recallState(fromWal)).toEqual(closed);
    await searchAll(fromWal, kNow + 2000);
    const resaved = recallState(fromWal);
    await fromWal.save();
    await fromWal.close();

    const fromFile = await opened(path, { readOnly: true });
    expect(recallState(fromFile)).toEqual(resaved);
    // A readOnly store does not track (it never writes).
    await searchAll(fromFile, kNow + 3000);
    expect(recallState(fromFile)).toEqual(resaved);
    await fromFile.close();
  });

  it('a flush logs the rows bumped since the last one, with their latest values; track: false bumps nothing', async () => {
    const path = tempStorePath('recall.feather');
    const db = await opened(path, { dim, recallFlushMs: 0 });
    await db.addBatch(data, { ids: ids.slice() });
    const quiet = recallState(db);
    const base = walRecords(path);
    await searchAll(db, kNow, { track: false });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(recallState(db)).toEqual(quiet);
    expect(walRecords(path)).toBe(base);
    const hits = await db.search(row(queries, dim, 1), { k: 4, now: kNow + 5 });
    // recallFlushMs 0: logged once the turn ends; wait for the record rather than for a time.
    for (let i = 0; i < 500 && walRecords(path) === base; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(walRecords(path)).toBe(base + 1);
    for (const h of hits) expect(db.get(h.id)).toMatchObject({ recallCount: 1, lastRecalled: kNow + 5 });
    await db.close();
    const again = await opened(path);
    for (const h of hits) expect(again.get(h.id)).toMatchObject({ recallCount: 1, lastRecalled: kNow + 5 });
  });

  it('a replay of many flushes, a forget between them, ends with the values the store had', async () => {
    const path = tempStorePath('recall.feather');
    const db = await opened(path, { dim, recallFlushMs: 0 });
    await db.addBatch(data, { ids: ids.slice() });
    const flushed = async (q: number | Float32Array, now: number): Promise<MemoryId[]> => {
      const before = walRecords(path);
      const hits = await db.search(typeof q === 'number' ? row(queries, dim, q) : q, { k: 6, now });
      // recallFlushMs 0: one record per search once its turn ends; wait for it rather than for a time.
      for (let i = 0; i < 500 && walRecords(path) === before; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      return hits.map((h) => h.id);
    };
    // Runs of recall records with the same rows recalled again (a replay keeps the latest), split by a forget.
    for (let i = 0; i < 6; i++) await flushed(i % 3, kNow + i);
    const gone = (await flushed(0, kNow + 10))[0];
    await db.forget(gone);
    // Its row is reused once no read can name it: the new memory must not inherit the old one's logged counts.
    for (let waited = 0; db.stats().rows.free < 1 && waited < 10_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    const reused = row(data, dim, 0).map((x) => -x);
    await db.add(reused, { id: 'reused' });
    expect(db.stats().rows.free).toBe(0);
    // Recalled after the reuse: a replay must apply that after the add that reset the row.
    expect(await flushed(reused, kNow + 19)).toContain('reused');
    for (let i = 0; i < 4; i++) await flushed(i % 2, kNow + 20 + i);
    const state = [...recallState(db), db.get('reused')!.recallCount];
    expect(state[ids.indexOf(gone)]).toBeNull();
    await db.close();
    expect(walRecords(path)).toBeGreaterThanOrEqual(14);
    const again = await opened(path, { readOnly: true });
    expect([...recallState(again), again.get('reused')!.recallCount]).toEqual(state);
    await again.close();
  });
});
