// A store under churn through the public API (docs/adr/0008-slot-reuse-and-epoch-reclamation.md): forgotten
// memories' rows and node slots are reused, so the graph and the shared memory stop growing; automatic ids
// are never reused; the mirror, the writer and a replay of the WAL agree on every row; a save and reopen
// holds exactly the live set; and searches racing the churn never see a reused slot under another memory.
import { copyFileSync, existsSync } from 'node:fs';
import { seededRandom, tempStorePath } from '@feather-db/testkit';
import { Feather, type MemoryId, type MemoryRecord } from 'feather-db';
import { describe, expect, it } from 'vitest';

const kDim = 16;

/** The vector of memory `id`: a pure function of the id, so any hit can be checked against it. */
function vectorOf(id: MemoryId): Float32Array {
  let seed = 7;
  for (const ch of String(id)) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  const rand = seededRandom(seed);
  return Float32Array.from({ length: kDim }, () => rand() - 0.5);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

/** Every record of the store in list order, with its vector. */
function everything(db: Feather): { records: MemoryRecord[]; vectors: Float32Array[] } {
  const records: MemoryRecord[] = [];
  let before: string | undefined;
  for (;;) {
    const page = db.list({ limit: 10_000, ...(before === undefined ? {} : { before }) });
    records.push(...page.memories);
    if (page.next === null) break;
    before = page.next;
  }
  return { records, vectors: records.map((r) => db.getVector(r.id)!) };
}

/** Rounds of add `n` (string ids) / forget the previous `n`; returns the live ids. */
async function churn(db: Feather, rounds: number, n: number, onRound?: (round: number) => void): Promise<string[]> {
  let live = db.list({ limit: 10_000 }).memories.map((m) => String(m.id));
  const start = live.length === 0 ? 0 : Math.max(...live.map((id) => Number(id.slice(1, id.indexOf('-')))));
  for (let round = start + 1; round <= start + rounds; round++) {
    const ids = Array.from({ length: n }, (_, i) => `r${round}-${i}`);
    const metas = ids.map((id, i) => ({
      text: `memory ${id}`,
      namespace: i % 2 === 0 ? 'even' : 'odd',
      timestamp: 1_700_000_000_000 + round * 1000 + i,
    }));
    await db.addBatch(
      ids.map((id) => vectorOf(id)),
      { ids, metas },
    );
    if (live.length > 0) await db.forget(live);
    live = ids;
    onRound?.(round);
  }
  return live;
}

describe('slot reuse under churn', () => {
  it('reuses rows and node slots at a constant live set: the graph and the shared memory stop growing', async () => {
    const db = await Feather.open(tempStorePath('churn.feather'), { dim: kDim, metric: 'cosine', threads: 2 });
    const n = 500;
    const seen: { nodes: number; used: number }[] = [];
    await churn(db, 8, n, () => {
      const s = db.stats();
      seen.push({ nodes: s.modalities['text'].nodes, used: s.shared.usedBytes });
    });
    // Round 1 holds n nodes; each later add reuses the slots the previous forget retired (repaired on the
    // insert path), so the graph never holds more than two rounds.
    for (const s of seen) expect(s.nodes).toBeLessThanOrEqual(2 * n);
    expect(seen[7].used).toBeLessThanOrEqual(seen[2].used * 1.1);
    const s = db.stats();
    expect(s.memories).toBe(n);
    expect(s.rows.live).toBe(n);
    expect(s.modalities['text'].bytes.live).toBe(n * s.modalities['text'].strideBytes);
    expect((await db.checkIntegrity()).problems).toEqual([]);
    await db.close();
  });

  it('with the background policy, repairs run off the write path and their slots are reused by later rounds', async () => {
    const db = await Feather.open(tempStorePath('background.feather'), {
      dim: kDim,
      metric: 'cosine',
      threads: 2,
      maintenance: { mode: 'background' },
    });
    const n = 400;
    await churn(db, 6, n);
    // Wait for the last repair (a bounded poll: the policy started it after the last forget).
    for (let waited = 0; db.stats().modalities['text'].tombstones > 0 && waited < 30_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const s = db.stats().modalities['text'];
    expect(s.tombstones).toBe(0);
    expect(s.freeNodes).toBeGreaterThanOrEqual(n);
    // No reads in flight now: the next rounds take the freed slots, and the graph does not grow.
    await churn(db, 2, n);
    expect(db.stats().modalities['text'].nodes).toBe(s.nodes);
    for (const id of ['r8-0', 'r8-399']) expect((await db.search(vectorOf(id), { k: 1, track: false }))[0]?.id).toBe(id);
    expect((await db.checkIntegrity()).problems).toEqual([]);
    await db.close();
  });

  it('with the background policy, a write waits for the running repair once a second batch of forgets piled up behind it', async () => {
    // The pool's first repair task stalls (a slow thread, internal-faults.ts), so the repair is still running
    // when the second forget and the add come: the add must wait for it and take its slots, not grow the graph.
    process.env['FEATHER_INTERNAL_FAULTS'] = JSON.stringify({ stall: { at: 'repair', ms: 5000 } });
    const db = await Feather.open(tempStorePath('backlog.feather'), {
      dim: kDim,
      metric: 'cosine',
      threads: 2,
      maintenance: { mode: 'background' },
    });
    delete process.env['FEATHER_INTERNAL_FAULTS'];
    const batch = (round: number): string[] => Array.from({ length: 400 }, (_, i) => `r${round}-${i}`);
    const add = (round: number): Promise<unknown> => db.addBatch(batch(round).map(vectorOf), { ids: batch(round) });
    await add(0);
    await add(1);
    // Half the graph forgotten: the policy begins a repair of r0 (its first task then stalls).
    await db.forget(batch(0));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(db.stats().modalities['text'].nodes).toBe(800);
    // Another half behind it, then an add: it waits for r0's repair and reuses r0's 400 slots.
    await db.forget(batch(1));
    await add(2);
    expect(db.stats().modalities['text'].nodes).toBe(800);
    for (const id of ['r2-0', 'r2-399']) expect((await db.search(vectorOf(id), { k: 1, track: false }))[0]?.id).toBe(id);
    await db.close();
  });

  it('never reuses an automatic id, though it reuses the rows', async () => {
    const db = await Feather.open(tempStorePath('auto.feather'), { dim: kDim, threads: 1 });
    const all: MemoryId[] = [];
    let live: MemoryId[] = [];
    for (let round = 0; round < 6; round++) {
      const { ids } = await db.addBatch(Array.from({ length: 300 }, (_, i) => vectorOf(`auto-${round}-${i}`)));
      all.push(...ids);
      if (live.length > 0) await db.forget(live);
      live = ids;
    }
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual([...all].sort((a, b) => Number(a) - Number(b)));
    expect(db.stats().rows.free).toBeGreaterThan(0);
    expect((await db.checkIntegrity()).problems).toEqual([]);
    await db.close();
  });

  it('a copy of the files taken mid-churn replays its WAL to the same records in the same rows, and a save and reopen holds exactly the live set', async () => {
    const path = tempStorePath('replay.feather');
    const db = await Feather.open(path, { dim: kDim, metric: 'cosine', threads: 2 });
    await db.save();
    // No save from here on: the rows the writes reused are only in the WAL's ops.
    const live = await churn(db, 6, 400);
    await db.update(live[0], { text: 'patched' });
    await db.add(vectorOf('late'), { id: 'late', text: 'late' });
    const expected = everything(db);
    expect(expected.records.length).toBe(401);
    expect((await db.checkIntegrity()).problems).toEqual([]);
    const copy = tempStorePath('replay-copy.feather');
    copyFileSync(path, copy);
    if (existsSync(`${path}.wal`)) copyFileSync(`${path}.wal`, `${copy}.wal`);
    const replayed = await Feather.open(copy, { threads: 1 });
    const got = everything(replayed);
    // list() breaks timestamp ties by row: equal lists mean every memory landed in the same row.
    expect(got.records).toEqual(expected.records);
    got.vectors.forEach((v, i) => expect(v).toEqual(expected.vectors[i]));
    expect(replayed.getLast()?.id).toBe('late');
    expect((await replayed.checkIntegrity()).problems).toEqual([]);
    await replayed.close();

    await db.save();
    await db.close();
    const reopened = await Feather.open(path, { threads: 2 });
    const after = everything(reopened);
    expect(after.records).toEqual(expected.records);
    after.vectors.forEach((v, i) => expect(v).toEqual(expected.vectors[i]));
    for (const id of live.slice(0, 50)) {
      const [hit] = await reopened.search(vectorOf(id), { k: 1, track: false });
      expect(hit?.id).toBe(id);
    }
    expect(reopened.get('r1-0')).toBeUndefined();
    expect((await reopened.checkIntegrity()).problems).toEqual([]);
    // Rows forgotten before an open are free at once after it (nothing can name them), and taken by new memories.
    const freeBefore = reopened.stats().rows.free;
    await reopened.forget(live.slice(0, 10));
    await reopened.save();
    await reopened.close();
    const holes = await Feather.open(path, { threads: 1 });
    expect(holes.stats().rows).toEqual({ live: 391, free: freeBefore + 10 });
    await holes.addBatch(
      Array.from({ length: 10 }, (_, i) => vectorOf(`hole-${i}`)),
      { ids: Array.from({ length: 10 }, (_, i) => `hole-${i}`) },
    );
    expect(holes.stats().rows).toEqual({ live: 401, free: freeBefore });
    for (const id of [...live.slice(10, 20), 'hole-3']) expect((await holes.search(vectorOf(id), { k: 1, track: false }))[0]?.id).toBe(id);
    expect((await holes.checkIntegrity()).problems).toEqual([]);
    await holes.close();
  });

  it('searches racing the churn only return memories with their own vectors (no reused slot under another memory)', async () => {
    const db = await Feather.open(tempStorePath('race.feather'), { dim: kDim, metric: 'cosine', threads: 2 });
    const rand = seededRandom(Number(process.env['FEATHER_SEED'] ?? 1801));
    let stop = false;
    let checked = 0;
    const searches = (async () => {
      while (!stop) {
        const query = Float32Array.from({ length: kDim }, () => rand() - 0.5);
        const hits = await Promise.all([0, 1, 2, 3].map(() => db.search(query, { k: 10, track: false })));
        for (const hit of hits.flat()) {
          // The similarity the pool computed belongs to the vector of the id the mirror named.
          expect(hit.similarity).toBeCloseTo(cosine(query, vectorOf(hit.id)), 4);
          checked++;
        }
      }
    })();
    await churn(db, 8, 300);
    stop = true;
    await searches;
    expect(checked).toBeGreaterThan(0);
    // While searches run, a slot retired just before an add is still pinned by searches in flight, so reuse
    // lags (how much depends on timing). Once reads stop, a round reuses what the round before forgot: the graph
    // does not grow any more.
    const nodes = db.stats().modalities['text'].nodes;
    const last = await churn(db, 3, 300);
    expect(db.stats().modalities['text'].nodes).toBe(nodes);
    expect(db.count()).toBe(last.length);
    expect((await db.checkIntegrity()).problems).toEqual([]);
    await db.close();
  });
});

describe('compact', () => {
  const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  /** A store without repair on the insert path (tombstones stay until compact), holding `n` memories a0…. */
  async function filled(name: string, n: number): Promise<Feather> {
    const db = await Feather.open(tempStorePath(name), { dim: kDim, metric: 'cosine', threads: 2, maintenance: false });
    await db.addBatch(ids('a', n).map(vectorOf), { ids: ids('a', n) });
    return db;
  }
  async function expectFound(db: Feather, live: string[], gone: string[]): Promise<void> {
    for (const id of live) expect((await db.search(vectorOf(id), { k: 1, track: false }))[0]?.id).toBe(id);
    for (const id of gone) {
      const hits = await db.search(vectorOf(id), { k: 10, track: false });
      expect(hits.map((h) => h.id)).not.toContain(id);
    }
  }

  it('repairs a few tombstones in place: no second graph, and later adds take the freed slots', async () => {
    const db = await filled('compact-repair.feather', 1000);
    const gone = ids('a', 1000).filter((_, i) => i % 5 === 0);
    await db.forget(gone);
    const before = db.stats();
    expect(before.modalities['text']).toMatchObject({ nodes: 1000, tombstones: 200 });
    await db.compact();
    const after = db.stats();
    expect(after.modalities['text']).toMatchObject({ nodes: 1000, tombstones: 0 });
    // A rebuild would have added a second graph of the 800 live nodes to the shared memory.
    expect(after.shared.usedBytes - before.shared.usedBytes).toBeLessThan(800 * after.modalities['text'].strideBytes);
    const live = ids('a', 1000).filter((_, i) => i % 5 !== 0);
    await expectFound(
      db,
      live.filter((_, i) => i % 8 === 0),
      gone.slice(0, 20),
    );
    // No read in flight now: the next adds reuse every freed slot.
    expect(db.stats().modalities['text'].freeNodes).toBe(200);
    await db.addBatch(ids('b', 200).map(vectorOf), { ids: ids('b', 200) });
    expect(db.stats().modalities['text']).toMatchObject({ nodes: 1000, tombstones: 0, freeNodes: 0 });
    await expectFound(
      db,
      ids('b', 200).filter((_, i) => i % 10 === 0),
      [],
    );
    expect((await db.checkIntegrity()).problems).toEqual([]);
    await db.close();
  });

  it('rebuilds when asked, or when at least half of a graph is tombstones: the graph then holds only live nodes', async () => {
    const db = await filled('compact-rebuild.feather', 1000);
    await db.forget(ids('a', 100));
    await db.compact({ rebuild: true });
    expect(db.stats().modalities['text']).toMatchObject({ nodes: 900, tombstones: 0, freeNodes: 0 });
    // 450 of the 900 forgotten: as many tombstones as live nodes, so compact() rebuilds by itself.
    const gone = ids('a', 1000).slice(100, 550);
    await db.forget(gone);
    await db.compact();
    expect(db.stats().modalities['text']).toMatchObject({ nodes: 450, tombstones: 0, freeNodes: 0 });
    await expectFound(
      db,
      ids('a', 1000)
        .slice(550)
        .filter((_, i) => i % 9 === 0),
      gone.slice(0, 20),
    );
    expect((await db.checkIntegrity()).problems).toEqual([]);
    await db.close();
  });

  it('a bad option is refused with nothing changed', async () => {
    const db = await filled('compact-options.feather', 100);
    await db.forget(ids('a', 10));
    for (const options of [{ rebuild: 'yes' }, { repair: true }]) {
      await expect(db.compact(options as never)).rejects.toMatchObject({ code: 'FEATHER_ERR_INVALID_ARGUMENT' });
    }
    expect(db.stats().modalities['text'].tombstones).toBe(10);
    await db.compact();
    expect(db.stats().modalities['text'].tombstones).toBe(0);
    await db.close();
  });
});
