// Slot reuse (issue 18) meets issue 13's recall columns and read paths (docs/adr/0008): a row a new memory
// reuses starts with no recall state, in the mirror and in a replay of the WAL, whatever the old memory's
// pending bumps were; and a searchMany in flight holds the rows it can name, so a forget and an add racing it
// never put a new memory under its hits or under its recall bumps.
import { copyFileSync, existsSync } from 'node:fs';
import { referenceDistance, seededRandom, suiteSeed, tempStorePath } from '@feather-db/testkit';
import { Feather, type MemoryId, type OpenOptions } from 'feather-db';
import { describe, expect, it } from 'vitest';

const kDim = 16;
const kNow = 1_700_000_000_000;
const seed = suiteSeed('reuse-recall');

/** The vector of memory `id` (a pure function of the id and the suite's seed). */
function vectorOf(id: MemoryId): Float32Array {
  let h = seed >>> 0;
  for (const ch of String(id)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const rand = seededRandom(h);
  return Float32Array.from({ length: kDim }, () => rand() - 0.5);
}

/** The opposite direction: under cosine it is never near a query made of `v`. */
function opposite(v: Float32Array): Float32Array {
  return v.map((x) => -x);
}

/** `vectorOf(id)` pushed far along the first axis, one way or the other (two cones that never meet). */
function leaning(id: MemoryId, side: 1 | -1): Float32Array {
  const v = vectorOf(id);
  v[0] = side * 4;
  return v;
}

/** Waits (bounded) until `n` forgotten rows are free for reuse: no read in flight can name them any more. */
async function freeRows(db: Feather, n: number): Promise<void> {
  for (let waited = 0; db.stats().rows.free < n && waited < 10_000; waited += 5) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(db.stats().rows.free).toBeGreaterThanOrEqual(n);
}

async function filled(path: string, ids: string[], options: OpenOptions = {}, vector = vectorOf): Promise<Feather> {
  const db = await Feather.open(path, { dim: kDim, metric: 'cosine', threads: 2, ...options });
  await db.addBatch(
    ids.map((id) => vector(id)),
    { ids },
  );
  return db;
}

describe('recall state of reused rows', () => {
  it("a reused row starts unrecalled: the old memory's pending bumps reach neither the new memory nor a replay", async () => {
    const path = tempStorePath('reuse-recall.feather');
    const others = Array.from({ length: 200 }, (_, i) => `other-${i}`);
    // A long flush window: the old memory's bumps are still pending (not in the WAL) when its row is reused.
    const db = await filled(path, ['old', ...others], { recallFlushMs: 60_000 });
    const recallOld = async (i: number): Promise<void> => {
      expect((await db.search(vectorOf('old'), { k: 1, now: kNow + i }))[0]?.id).toBe('old');
    };
    // Two bumps the save writes into the file, one still pending when the row is reused.
    await recallOld(0);
    await recallOld(1);
    await db.save();
    await recallOld(2);
    expect(db.get('old')).toMatchObject({ recallCount: 3, lastRecalled: kNow + 2 });
    expect((await db.search(vectorOf('other-7'), { k: 1, now: kNow }))[0]?.id).toBe('other-7');

    await db.forget('old');
    await freeRows(db, 1);
    // Far from every query above: only a search for it can recall it.
    await db.add(opposite(vectorOf('old')), { id: 'new', text: 'new' });
    expect(db.stats().rows.free).toBe(0);
    expect(db.get('new')).toMatchObject({ recallCount: 0, lastRecalled: null });
    expect((await db.search(opposite(vectorOf('old')), { k: 1, now: kNow + 10 }))[0]?.id).toBe('new');
    expect(db.get('new')).toMatchObject({ recallCount: 1, lastRecalled: kNow + 10 });

    // A copy before close: the file holds the old memory's count in that row; the WAL, the forget and the
    // reusing add, but no recall record yet.
    const copy = tempStorePath('reuse-recall-copy.feather');
    copyFileSync(path, copy);
    if (existsSync(`${path}.wal`)) copyFileSync(`${path}.wal`, `${copy}.wal`);
    const replayed = await Feather.open(copy, { threads: 1, readOnly: true });
    expect(replayed.get('new')).toMatchObject({ recallCount: 0, lastRecalled: null });
    expect(replayed.get('old')).toBeUndefined();
    await replayed.close();

    // close() flushes the pending rows (the reused one included) with their values now: the new memory's.
    await db.close();
    const reopened = await Feather.open(path, { threads: 1 });
    expect(reopened.get('new')).toMatchObject({ recallCount: 1, lastRecalled: kNow + 10 });
    expect(reopened.get('other-7')).toMatchObject({ recallCount: 1, lastRecalled: kNow });
    expect((await reopened.checkIntegrity()).problems).toEqual([]);
    await reopened.close();
  });

  it('a searchMany in flight holds its rows: a forget and an add racing it never appear under its hits or its recall bumps', async () => {
    // The race needs the searchMany still running when the add has chosen its rows. How long 4,000 queries
    // take depends on the machine, so a round whose searchMany settled first proves nothing and is run again
    // with twice the queries (bounded); what each round asserts about hits and recall holds either way.
    let raced = false;
    for (let round = 0, queryCount = 4_000; !raced && round < 6; round++, queryCount *= 2) {
      raced = await raceSearchManyWithReuse(round, queryCount);
    }
    expect(raced).toBe(true);
  });
});

/** One round of the race; returns whether the searchMany was still in flight once the add's rows were chosen. */
async function raceSearchManyWithReuse(round: number, queryCount: number): Promise<boolean> {
  const targets = Array.from({ length: 200 }, (_, i) => `t-${i}`);
  const others = Array.from({ length: 1_800 }, (_, i) => `o-${i}`);
  // No repair on the insert path: the add below would wait behind it (and so behind the searchMany's tasks).
  const db = await filled(tempStorePath(`many-pinned-${round}.feather`), [...targets, ...others], { maintenance: false }, (id) =>
    leaning(id, 1),
  );
  // Many queries, each one of the targets' vectors: the call stays in the pool while the writes below run.
  const queries = Array.from({ length: queryCount }, (_, i) => leaning(targets[i % targets.length], 1));
  let settled = false;
  const many = db.searchMany(queries, { k: 10, ef: 100, now: kNow });
  void many.finally(() => (settled = true));

  await db.forget(targets);
  // A few turns: a row the forget freed is handed out in write order (row-recycler.ts), when it is free at all.
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
  const fresh = targets.map((id) => `fresh-${id}`);
  // In the other cone: never among the 10 nearest of a query while 1,800 memories lean its way.
  const added = db.addBatch(
    targets.map((id) => leaning(id, -1)),
    { ids: fresh },
  );
  // The race this test is about: the add is in the mirror (rows chosen) while the searchMany still runs.
  for (let turns = 0; db.get(fresh.at(-1)!) === undefined && turns < 1_000; turns++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(db.get(fresh.at(-1)!)).toBeDefined();
  const raced = !settled;
  await added;

  const lists = await many;
  for (const [q, hits] of lists.entries()) {
    for (const hit of hits) {
      // The similarity the pool computed belongs to the vector of the id the mirror named.
      expect(String(hit.id)).not.toMatch(/^fresh-/);
      expect(hit.similarity).toBeCloseTo(1 - referenceDistance('cosine', queries[q], leaning(hit.id, 1)), 4);
    }
  }
  // The fresh memories are far from every query: no bump of the searchMany may land on them.
  for (const id of fresh) expect(db.get(id)).toMatchObject({ recallCount: 0, lastRecalled: null });
  expect((await db.checkIntegrity()).problems).toEqual([]);
  await db.close();
  return raced;
}
