import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Feather, FeatherError } from 'feather-db';
import { clusteredVectors, referenceDistance, row, seededRandom, suiteSeed, tempStorePath } from '@feather-db/testkit';
import { afterAll, describe, expect, it } from 'vitest';

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    expect(error).toBeInstanceOf(FeatherError);
    return (error as FeatherError).code;
  }
  throw new Error('expected a FeatherError');
}

describe('feather-db facade, writer worker and reader pool', () => {
  const open: Feather[] = [];
  afterAll(async () => {
    await Promise.all(open.map((db) => db.close()));
  });

  it('adds, searches, gets, counts and forgets through the workers', async () => {
    const db = await Feather.open(tempStorePath('basic.feather'), { dim: 8, metric: 'l2', threads: 2 });
    open.push(db);
    const data = clusteredVectors({ n: 600, dim: 8, seed: 71 });
    const { ids } = await db.addBatch(data);
    expect(ids).toEqual(Array.from({ length: 600 }, (_, i) => i));
    const { id } = await db.add(row(data, 8, 5));
    expect(id).toBe(600);
    expect(db.count()).toBe(601);
    const hits = await db.search(row(data, 8, 42), { k: 3 });
    expect(hits[0]).toMatchObject({ id: 42, score: 1, similarity: 1, namespace: 'default', entity: null, text: '', recallCount: 0 });
    expect(Array.from(db.getVector(42)!)).toEqual(Array.from(row(data, 8, 42)));
    expect(db.get(42)!.recallCount).toBe(1);
    expect(db.get(10_000)).toBeUndefined();
    expect(await db.forget([42])).toBe(1);
    expect(db.count()).toBe(600);
    expect((await db.search(row(data, 8, 42), { k: 5 })).map((h) => h.id)).not.toContain(42);
    expect(db.get(42)).toBeUndefined();
  });

  it('many concurrent searches, packed into shared pool tasks, each get their own answer', async () => {
    const dim = 10;
    const db = await Feather.open(tempStorePath('burst.feather'), { dim, metric: 'l2', threads: 2 });
    open.push(db);
    const data = clusteredVectors({ n: 2000, dim, seed: 74 });
    await db.addBatch(data);
    const ids = Array.from({ length: 300 }, (_, i) => (i * 37) % 2000);
    const results = await Promise.all(ids.map((id, i) => db.search(row(data, dim, id), { k: 1 + (i % 5), ef: 32 + i })));
    results.forEach((hits, i) => {
      expect(hits.length).toBe(1 + (i % 5));
      expect(hits[0].id).toBe(ids[i]);
    });
  });

  it('typed errors keep their code across the worker boundary and change nothing', async () => {
    const db = await Feather.open(tempStorePath('errors.feather'), { dim: 4, threads: 1 });
    open.push(db);
    await db.addBatch([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ]);
    // Raised in the write chain (against the facade's mirror), before anything reaches the writer:
    expect(await codeOf(db.forget([1, 99]))).toBe('FEATHER_ERR_NOT_FOUND');
    expect(db.count()).toBe(3);
    expect(await codeOf(db.add([0, 0, 0, 0]))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    // Raised at the facade:
    expect(await codeOf(db.add([1, 2, 3]))).toBe('FEATHER_ERR_DIMENSION_MISMATCH');
    expect(await codeOf(db.search([1, 0, 0, Number.NaN]))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(await codeOf(db.search([1, 0, 0, 0], { k: 0 }))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(await codeOf(db.search([1, 0, 0, 0], JSON.parse('{"topK":3}') as { k: number }))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(
      await codeOf(
        db.addBatch([
          [1, 0, 0, 0],
          [1, 0],
        ]),
      ),
    ).toBe('FEATHER_ERR_DIMENSION_MISMATCH');
    expect(await codeOf(() => Feather.open('', { dim: 4 }))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => Feather.open('x.feather', { dim: 4, threads: 0 }))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(db.count()).toBe(3);
    expect((await db.search([0, 1, 0, 0], { k: 1 }))[0].id).toBe(1);
    await db.close();
    expect(await codeOf(db.search([0, 1, 0, 0]))).toBe('FEATHER_ERR_CLOSED');
  });

  it('an error raised inside the writer worker reaches the caller with its code and details', async () => {
    // The internal fault hook fails the writer's third rename (#1 the new file, #2 its WAL, #3 this save's
    // file): the writer's StoreEngine throws FEATHER_ERR_IO, which crosses the thread boundary as a value.
    process.env['FEATHER_INTERNAL_FAULTS'] = JSON.stringify({ io: { op: 'rename', nth: 3 } });
    const opening = Feather.open(tempStorePath('writer-error.feather'), { dim: 4, threads: 1 });
    delete process.env['FEATHER_INTERNAL_FAULTS'];
    const db = await opening;
    open.push(db);
    await db.add([1, 0, 0, 0], { id: 'kept' });
    const error = await db.save().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FeatherError);
    expect({
      code: (error as FeatherError).code,
      errno: (error as FeatherError).details?.['errno'],
      injected: (error as FeatherError).details?.['injected'],
    }).toEqual({ code: 'FEATHER_ERR_IO', errno: 'EIO', injected: true });
    // A save that failed before its rename changes nothing: the store goes on.
    await db.add([0, 1, 0, 0], { id: 'after' });
    expect(db.count()).toBe(2);
  });

  it('model test: concurrent adds, addBatch, forgets and searches never return a forgotten or unknown id and lose no write', async () => {
    const seed = suiteSeed('facade model test', 'FEATHER_MODEL_SEED');
    const rand = seededRandom(seed);
    const dim = 12;
    const db = await Feather.open(tempStorePath('model.feather'), { dim, metric: 'cosine', threads: 2 });
    open.push(db);
    const pool = clusteredVectors({ n: 4000, dim, seed: 72 });
    let next = 0;
    const vectorOf = new Map<number, Float32Array>();
    const num = (id: unknown): number => id as number;
    const forgotten = new Set<number>();
    const issued = new Set<number>();
    const ops: Promise<void>[] = [];
    const violations: string[] = [];
    for (let step = 0; step < 400; step++) {
      const r = rand();
      if (r < 0.35) {
        const v = row(pool, dim, next++ % 4000);
        ops.push(db.add(v).then(({ id }) => void vectorOf.set(num(id), v)));
      } else if (r < 0.45) {
        const n = 1 + Math.floor(rand() * 40);
        const rows = Array.from({ length: n }, () => row(pool, dim, next++ % 4000));
        ops.push(db.addBatch(rows).then(({ ids }) => ids.forEach((id, i) => vectorOf.set(num(id), rows[i]))));
      } else if (r < 0.55 && vectorOf.size > 0) {
        const candidates = [...vectorOf.keys()].filter((id) => !forgotten.has(id) && !issued.has(id));
        const id = candidates[Math.floor(rand() * candidates.length)];
        if (id === undefined) continue;
        issued.add(id);
        ops.push(db.forget(id).then(() => void forgotten.add(id)));
      } else {
        // A search must not return anything forgotten before it was issued.
        const forgottenBefore = new Set(forgotten);
        const q = row(pool, dim, Math.floor(rand() * 4000));
        ops.push(
          db.search(q, { k: 10 }).then((hits) => {
            const ids = hits.map((h) => num(h.id));
            if (new Set(ids).size !== ids.length) violations.push(`duplicate ids ${ids.join(',')}`);
            for (let i = 1; i < hits.length; i++) if (hits[i].score > hits[i - 1].score) violations.push('scores not descending');
            for (const id of ids) {
              if (forgottenBefore.has(id)) violations.push(`forgotten id ${id} returned`);
              if (!Number.isInteger(id) || id < 0 || id >= next) violations.push(`unknown id ${id}`);
            }
          }),
        );
      }
      if (rand() < 0.1) await Promise.all(ops.splice(0));
    }
    await Promise.all(ops);
    expect(violations, `seed ${seed}`).toEqual([]);
    // No lost write: every acknowledged add is there, every forget took effect.
    expect(db.count()).toBe(vectorOf.size - forgotten.size);
    for (const [id, v] of vectorOf) {
      const got = db.get(id);
      if (forgotten.has(id)) expect(got).toBeUndefined();
      else expect(got, `id ${id}`).toBeDefined();
      if (!forgotten.has(id) && id % 17 === 0) {
        const hits = await db.search(v, { k: 1, ef: 200 });
        expect(hits[0].similarity).toBeGreaterThan(0.9999);
      }
    }
  });

  // That a search sees only the published prefix is checked at the thread level, hit by hit, in
  // concurrent-readers.test.ts ("every hit is checked against the published prefix").
  it('searches during a large addBatch never throw, and each gets exact answers to its own query', async () => {
    const dim = 16;
    const db = await Feather.open(tempStorePath('busy.feather'), { dim, metric: 'l2', threads: 2 });
    open.push(db);
    const data = clusteredVectors({ n: 20_000, dim, seed: 73 });
    await db.addBatch(data.subarray(0, 100 * dim));
    let done = false;
    const batch = db.addBatch(data.subarray(100 * dim)).then(() => {
      done = true;
    });
    let searches = 0;
    while (!done) {
      const seen = db.count();
      // Sixteen at once: more than the pool's four task slots, so they are packed several to a task.
      const queries = Array.from({ length: 16 }, (_, i) => row(data, dim, (searches * 16 + i * 1237) % 20_000));
      const answers = await Promise.all(queries.map((q) => db.search(q, { k: 10, track: false })));
      const nodes = db.stats().modalities['text'].nodes;
      answers.forEach((hits, i) => {
        expect(hits.length).toBe(10);
        for (const h of hits) {
          // Published by now (ids are nodes in this store), and scored against this query's own vector.
          expect(h.id as number).toBeLessThan(nodes);
          expect(h.similarity).toBeCloseTo(1 / (1 + referenceDistance('l2', queries[i], db.getVector(h.id)!)), 4);
        }
      });
      expect(db.count()).toBeGreaterThanOrEqual(seen);
      searches++;
    }
    await batch;
    expect(searches).toBeGreaterThan(0);
    expect(db.count()).toBe(20_000);
  });

  it('honours FEATHER_LOAD_THREADS and leaves no hanging process after close', () => {
    const script = fileURLToPath(new URL('./open-close.child.mjs', import.meta.url));
    for (const threads of ['1', '3']) {
      const child = spawnSync(process.execPath, [script], {
        env: { ...process.env, FEATHER_LOAD_THREADS: threads },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(child.error).toBeUndefined();
      expect(child.status, child.stderr).toBe(0);
      expect(JSON.parse(child.stdout.trim())).toEqual({ threads: Number(threads), readerThreads: Number(threads), found: 7 });
    }
    const bad = spawnSync(process.execPath, [script], {
      env: { ...process.env, FEATHER_LOAD_THREADS: 'lots' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(bad.stdout.trim()).toBe('FEATHER_ERR_INVALID_ARGUMENT');
  });

  it('survives a close right after open, while reader threads are still loading', () => {
    // Terminating a Node 20 worker inside its module import aborts the process (exit 134); close must wait.
    const script = fileURLToPath(new URL('./open-close.child.mjs', import.meta.url));
    const child = spawnSync(process.execPath, [script], {
      env: { ...process.env, FEATHER_LOAD_THREADS: '3', FEATHER_CHILD_CYCLES: '30' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout.trim())).toMatchObject({ readerThreads: 3, found: 7 });
  });
});

/**
 * Mean recall@10 at ef 64 over `nq` queries of a serial core build of `data` and of `db` (`idOf` maps a hit's id
 * to the row of `data` it holds).
 */
async function recallBesideSerial(
  db: Feather,
  data: Float32Array,
  queries: Float32Array,
  dim: number,
  nq: number,
  idOf: (id: unknown) => number = (id) => id as number,
): Promise<{ serial: number; store: number }> {
  const { HnswIndex, KernelArena } = await import('@feather-db/core');
  const { bruteForce, recall } = await import('@feather-db/testkit');
  const serial = HnswIndex.create(KernelArena.create(), { dim, metric: 'l2' });
  serial.addMany(data);
  let serialSum = 0;
  let storeSum = 0;
  for (let q = 0; q < nq; q++) {
    const query = row(queries, dim, q);
    const truth = bruteForce('l2', data, dim, query, 10);
    serialSum += recall(serial.search(query, 10, { ef: 64 }).ids, truth);
    storeSum += recall(
      (await db.search(query, { k: 10, ef: 64, track: false })).map((h) => idOf(h.id)),
      truth,
    );
  }
  return { serial: serialSum / nq, store: storeSum / nq };
}

describe('parallel addBatch', () => {
  it('builds a graph whose recall equals a serial build within 0.01, and close waits for it', async () => {
    const dim = 24;
    const n = 8000;
    const data = clusteredVectors({ n, dim, seed: 81 });
    const queries = clusteredVectors({ n: 1000, dim, seed: 82 });
    const db = await Feather.open(tempStorePath('parallel.feather'), { dim, metric: 'l2', threads: 2 });
    // Two concurrent batches and a single add racing them: all must land, in id order.
    const [a, b, c] = await Promise.all([
      db.addBatch(data.subarray(0, 5000 * dim)),
      db.addBatch(data.subarray(5000 * dim)),
      db.add(row(data, dim, 0)),
    ]);
    expect(a.ids[0]).toBe(0);
    expect(b.ids[0]).toBe(5000);
    expect(c.id).toBe(8000);
    expect(db.count()).toBe(n + 1);
    // id 8000 duplicates id 0; count either as the same vector.
    const r = await recallBesideSerial(db, data, queries, dim, 1000, (id) => (id === 8000 ? 0 : (id as number)));
    // Graph quality: the parallel build may not lose more than 0.01 recall@10 against the serial one (1,000
    // queries keep the sampling noise near 0.003; the builds themselves differ by insertion interleaving).
    expect(r.serial - r.store, `serial ${r.serial} parallel ${r.store}`).toBeLessThanOrEqual(0.01);
    const pending = db.addBatch(data.subarray(0, 2000 * dim));
    await db.close();
    expect((await pending).ids.length).toBe(2000);
  });

  it('links concurrent single adds on the pool into a graph whose recall equals a serial build within 0.01', async () => {
    const dim = 24;
    const n = 4000;
    const data = clusteredVectors({ n, dim, seed: 83 });
    const queries = clusteredVectors({ n: 500, dim, seed: 84 });
    const db = await Feather.open(tempStorePath('concurrent-adds.feather'), { dim, metric: 'l2', threads: 2 });
    // All in flight at once: they reach the writer in groups, whose nodes the pool links (StoreEngine.writeMany).
    const added = await Promise.all(Array.from({ length: n }, (_, i) => db.add(row(data, dim, i))));
    expect(added.map((a) => a.id)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(db.stats().modalities['text'].nodes).toBe(n);
    const r = await recallBesideSerial(db, data, queries, dim, 500);
    expect(r.serial - r.store, `serial ${r.serial} concurrent ${r.store}`).toBeLessThanOrEqual(0.01);
    // Each add is found by its own vector.
    for (let id = 0; id < n; id += 53) expect((await db.search(row(data, dim, id), { k: 1, track: false }))[0].id).toBe(id);
    await db.close();
  });
});
