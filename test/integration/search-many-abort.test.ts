// searchMany and AbortSignal through the public API (issue 13): searchMany answers as one search per query
// would, recall counts included; an aborted search, searchMany, addBatch or compact rejects with
// FEATHER_ERR_ABORTED and leaves the store as it was (no memory, no recall count, no rebuild).
import { clusteredVectors, row, tempStorePath } from '@feather-db/testkit';
import { Feather, type MemoryId, type OpenOptions } from 'feather-db';
import { afterAll, describe, expect, it } from 'vitest';

const open: Feather[] = [];
afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
});

const dim = 12;
const n = 1_500;
const data = clusteredVectors({ n, dim, seed: 131 });
const queries = clusteredVectors({ n: 40, dim, seed: 132 });
const nQueries = queries.length / dim;
const kNow = Date.UTC(2027, 1, 1);
const metas = Array.from({ length: n }, (_, i) => ({ namespace: i % 3 === 0 ? 'a' : 'b', timestamp: kNow - i * 60_000 }));

async function store(options: OpenOptions = {}): Promise<Feather> {
  const db = await Feather.open(tempStorePath('many.feather'), { dim, threads: 2, ...options });
  open.push(db);
  await db.addBatch(data, { metas });
  return db;
}

function recallState(db: Feather): unknown[] {
  return Array.from({ length: n }, (_, id) => {
    const r = db.get(id)!;
    return [r.recallCount, r.lastRecalled];
  });
}

const asArrays = (): number[][] => Array.from({ length: nQueries }, (_, q) => [...row(queries, dim, q)]);

describe('searchMany', () => {
  it('with track: false, deep-equals one search per query, for rows or an array of vectors and any options', async () => {
    const db = await store();
    const before = recallState(db);
    const optionSets = [
      { k: 10 },
      { k: 5, ef: 80, namespace: 'a' },
      { k: 7, halfLife: 3_600_000, now: kNow },
      { k: 3, includeVector: true, namespace: 'b' },
    ];
    for (const options of optionSets) {
      const each = [];
      for (let q = 0; q < nQueries; q++) each.push(await db.search(row(queries, dim, q), { ...options, track: false }));
      expect(await db.searchMany(queries, { ...options, track: false })).toEqual(each);
      expect(await db.searchMany(asArrays(), { ...options, track: false })).toEqual(each);
    }
    // Many calls in flight at once (the pool path, packed) answer the same.
    const flat = await Promise.all(optionSets.map((o) => db.searchMany(queries, { ...o, track: false })));
    const single = await Promise.all(optionSets.map((o) => Promise.all(asArrays().map((q) => db.search(q, { ...o, track: false })))));
    expect(flat).toEqual(single);
    expect(recallState(db)).toEqual(before);
  });

  it('with track: true, leaves the same recall counts as one search per query', async () => {
    const [many, one] = await Promise.all([store(), store()]);
    const lists = await many.searchMany(queries, { k: 6, now: kNow });
    for (let q = 0; q < nQueries; q++) await one.search(row(queries, dim, q), { k: 6, now: kNow });
    expect(recallState(many)).toEqual(recallState(one));
    // Hits carry the counts from before the call (as a search's do); the next read sees the bumps.
    const first = lists[0][0];
    expect(many.get(first.id)!.recallCount).toBeGreaterThan(first.recallCount);
  });

  it('answers [] for no queries, and names the first bad query with a typed error, changing nothing', async () => {
    const db = await store();
    expect(await db.searchMany([])).toEqual([]);
    expect(await db.searchMany(new Float32Array(0))).toEqual([]);
    const before = recallState(db);
    const bad = asArrays();
    bad[3] = bad[3].slice(1);
    await expect(db.searchMany(bad)).rejects.toMatchObject({
      code: 'FEATHER_ERR_DIMENSION_MISMATCH',
      message: expect.stringContaining('queries[3]') as string,
    });
    await expect(db.searchMany(queries.subarray(1))).rejects.toMatchObject({ code: 'FEATHER_ERR_DIMENSION_MISMATCH' });
    const nan = asArrays();
    nan[5][2] = Number.NaN;
    await expect(db.searchMany(nan)).rejects.toMatchObject({
      code: 'FEATHER_ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('queries[5]') as string,
    });
    await expect(db.searchMany('nope' as unknown as number[][])).rejects.toMatchObject({ code: 'FEATHER_ERR_INVALID_ARGUMENT' });
    expect(recallState(db)).toEqual(before);
  });
});

describe('AbortSignal', () => {
  it('a search or searchMany aborted before or while it runs rejects with FEATHER_ERR_ABORTED and bumps nothing', async () => {
    const db = await store();
    const before = recallState(db);
    await expect(db.search(row(queries, dim, 0), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'FEATHER_ERR_ABORTED' });
    await expect(db.searchMany(queries, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'FEATHER_ERR_ABORTED' });
    // Many at once (most queue for the pool), one signal, aborted before any has answered.
    const controller = new AbortController();
    const calls = [
      ...asArrays().map((q) => db.search(q, { k: 10, ef: 200, signal: controller.signal })),
      db.searchMany(queries, { k: 10, ef: 200, signal: controller.signal }),
    ];
    controller.abort(new Error('the client went away'));
    const settled = await Promise.allSettled(calls);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toMatchObject({
        code: 'FEATHER_ERR_ABORTED',
        message: expect.stringContaining('the client went away') as string,
      });
    }
    expect(recallState(db)).toEqual(before);
    // The store and its pool go on: the same searches answer, unaborted.
    expect(await db.searchMany(queries, { k: 3, track: false })).toHaveLength(nQueries);
    await expect(db.search(row(queries, dim, 0), { signal: 'stop' as unknown as AbortSignal })).rejects.toMatchObject({
      code: 'FEATHER_ERR_INVALID_ARGUMENT',
    });
  });

  it('an addBatch aborted before it is applied (already aborted, waiting its turn, or validating) stores nothing', async () => {
    const db = await store();
    const more = clusteredVectors({ n: 3_000, dim, seed: 133 });
    await expect(db.addBatch(more, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'FEATHER_ERR_ABORTED' });
    // Behind a write in flight: rejects at once, and stores nothing when its turn comes.
    const first = db.addBatch(more, { ids: Array.from({ length: 3_000 }, (_, i) => `first-${i}`) });
    const controller = new AbortController();
    const second = db.addBatch(more, { ids: Array.from({ length: 3_000 }, (_, i) => `second-${i}`), signal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'FEATHER_ERR_ABORTED', details: { call: 'addBatch' } });
    const ids: MemoryId[] = (await first).ids;
    expect(ids).toHaveLength(3_000);
    expect(db.count()).toBe(n + 3_000);
    expect(db.get('second-0')).toBeUndefined();
    expect(await db.checkIntegrity()).toEqual({ ok: true, problems: [] });
  });

  it('a compact aborted before its repair or rebuild begins changes nothing; the store stays usable', async () => {
    // No repair on the insert path (issue 18's default would repair these tombstones during the addBatch).
    const db = await store({ maintenance: false });
    await db.forget(Array.from({ length: 300 }, (_, i) => i));
    const tombstones = db.stats().modalities['text'].tombstones;
    expect(tombstones).toBe(300);
    await expect(db.compact({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'FEATHER_ERR_ABORTED' });
    // Waiting behind a write: a repair in place (300 tombstones among thousands) and a rebuild.
    for (const rebuild of [false, true]) {
      const busy = db.addBatch(clusteredVectors({ n: 2_000, dim, seed: rebuild ? 135 : 134 }));
      const controller = new AbortController();
      const compacted = db.compact({ signal: controller.signal, rebuild });
      controller.abort();
      await expect(compacted).rejects.toMatchObject({ code: 'FEATHER_ERR_ABORTED', details: { call: 'compact' } });
      await busy;
    }
    await db.save();
    expect(db.stats().modalities['text'].tombstones).toBe(tombstones);
    await db.compact();
    expect(db.stats().modalities['text'].tombstones).toBe(0);
  });
});
