// Semantics at the edges of the write path: getLast in write order (and after save and reopen), update's
// result when a forget follows it, addBatch's snapshot, the size cap, an id named twice in one batch, values that
// only fail as float32, and searches in flight when the store closes.
import { copyFileSync } from 'node:fs';
import { tempStorePath } from '@feather-db/testkit';
import { Feather, FeatherError } from 'feather-db';
import { describe, expect, it } from 'vitest';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(FeatherError);
    return (error as FeatherError).code;
  }
  return 'resolved';
}

const v = (...xs: number[]): number[] => xs;

describe('getLast', () => {
  it('is the last add or addBatch row in write order, upserts included, the one before when forgotten, and the same after reopen', async () => {
    const path = tempStorePath();
    const db = await Feather.open(path, { dim: 3, threads: 1 });
    await db.add(v(1, 0, 0), { id: 'a', namespace: 'n1' });
    await db.add(v(0, 1, 0), { id: 'b', namespace: 'n2' });
    expect(db.getLast()?.id).toBe('b');
    // An upsert of an existing memory through add makes it the last one written.
    await db.add(v(0, 0, 1), { id: 'a', text: 'again' });
    expect(db.getLast()?.id).toBe('a');
    expect(db.getLast({ namespace: 'n2' })?.id).toBe('b');
    await db.addBatch([v(1, 1, 0), v(1, 0, 1)], { ids: ['c', 'd'], namespace: 'n2' });
    expect(db.getLast()?.id).toBe('d');
    await db.forget('d');
    expect(db.getLast()?.id).toBe('c');
    // update() is not an add: it does not move a memory to the end.
    await db.update('a', { text: 'patched' });
    expect(db.getLast()?.id).toBe('c');
    await db.add(v(1, 1, 1), { id: 'b' });
    await db.close();
    // From the WAL alone, then from a saved file.
    for (const step of ['wal', 'file'] as const) {
      const again = await Feather.open(path, { threads: 1 });
      expect(again.getLast()?.id, step).toBe('b');
      expect(again.getLast({ namespace: 'n2' })?.id, step).toBe('b');
      expect(again.getLast({ namespace: 'n1' })?.id, step).toBe('a');
      await again.save();
      await again.close();
    }
    // A write after a load comes after every stamp the load restored: 'a' (written before 'b') moves to the end.
    const later = await Feather.open(path, { threads: 1 });
    await later.add(v(1, 0, 0), { id: 'a' });
    expect(later.getLast()?.id).toBe('a');
    expect(later.getLast({ namespace: 'n2' })?.id).toBe('b');
    await later.close();
  });
});

describe('update', () => {
  it('resolves with the record it wrote even when a forget of it is queued right behind', async () => {
    const db = await Feather.open(tempStorePath(), { dim: 3, threads: 1 });
    await db.add(v(1, 0, 0), { id: 'x' });
    const [updated, forgotten] = await Promise.all([db.update('x', { text: 'new' }), db.forget('x')]);
    expect(updated).toMatchObject({ id: 'x', text: 'new' });
    expect(forgotten).toBe(1);
    await db.close();
  });
});

describe('vectors as they are stored', () => {
  it('rejects under cosine, typed, a vector that is all zeros as float32, and the store stays usable', async () => {
    const db = await Feather.open(tempStorePath(), { dim: 4, threads: 1 });
    expect(await codeOf(db.add(v(1e-50, 0, 0, 0)))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(await codeOf(db.addBatch([v(1, 0, 0, 0), v(1e-46, -1e-300, 0, 0)]))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(await codeOf(db.search(v(1e-50, 0, 0, 0)))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(db.count()).toBe(0);
    const { id } = await db.add(v(0, 1, 0, 0));
    expect(db.get(id)).toBeDefined();
    await db.close();
  });

  it('stores the direction of huge and subnormal cosine vectors as a unit vector', async () => {
    const db = await Feather.open(tempStorePath(), { dim: 4, threads: 1 });
    for (const input of [v(3e38, 1e38, 0, 0), v(2e19, 2e19, 0, 0), v(1e-40, 0, 1e-40, 0)]) {
      const { id } = await db.add(input);
      const stored = Array.from(db.getVector(id)!);
      const norm = Math.hypot(...input);
      stored.forEach((x, i) => expect(x).toBeCloseTo(input[i] / norm, 6));
      expect((await db.search(input, { k: 1 }))[0].id).toBe(id);
    }
    // addBatch checks a slice's rows together and rescales only the ones out of range, in place.
    const inputs = [v(1, 2, 3, 4), v(3e38, 1e38, 0, 0), v(0.5, 0, 0, 0), v(2e19, 2e19, 0, 0), v(1e-40, 0, 1e-40, 0)];
    const { ids } = await db.addBatch(inputs);
    inputs.forEach((input, r) => {
      const norm = Math.hypot(...input);
      Array.from(db.getVector(ids[r])!).forEach((x, i) => expect(x).toBeCloseTo(input[i] / norm, 6));
    });
    await db.close();
  });

  it('rejects a component that does not fit in float32', async () => {
    const db = await Feather.open(tempStorePath(), { dim: 2, metric: 'l2', threads: 1 });
    expect(await codeOf(db.add(v(3.5e38, 0)))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(await codeOf(db.addBatch([v(1, 2), v(Number.NaN, 0)]))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(await codeOf(db.addBatch([v(1, 2), ['1', 2] as unknown as number[]]))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(db.count()).toBe(0);
    await db.close();
  });
});

describe('addBatch reads its input until it settles', () => {
  it('stores the rows, ids and metas as they were, and nothing the caller changes after it settles', async () => {
    const db = await Feather.open(tempStorePath(), { dim: 2, metric: 'l2', threads: 1 });
    const flat = Float32Array.of(1, 2, 3, 4);
    const rows = [
      [5, 6],
      [7, 8],
    ];
    const ids = ['p', 'q'];
    const metas = [{ text: 'one' }, { text: 'two' }];
    await Promise.all([db.addBatch(flat, { ids: ['f1', 'f2'] }), db.addBatch(rows, { ids, metas })]);
    flat.fill(Number.NaN);
    rows[1][0] = Number.POSITIVE_INFINITY;
    ids[1] = 'changed';
    metas[0].text = 'changed';
    // The store's copies moved to the writer (write-queue.ts); the caller's own buffers stay where they were.
    expect(Array.from(flat)).toEqual([Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    const single = Float32Array.of(2, 1);
    await db.add(single, { id: 'single' });
    expect(single.byteLength).toBe(8);
    expect(Array.from(db.getVector('single')!)).toEqual([2, 1]);
    expect(Array.from(db.getVector('f2')!)).toEqual([3, 4]);
    expect(Array.from(db.getVector('q')!)).toEqual([7, 8]);
    expect(db.get('changed')).toBeUndefined();
    expect(db.get('p')!.text).toBe('one');
    await db.close();
  });

  it('refuses a batch refilled before it was read, storing none of it, and stays usable', async () => {
    const db = await Feather.open(tempStorePath(), { dim: 2, metric: 'l2', threads: 1 });
    const buffer = Float32Array.of(1, 2, 3, 4);
    // A write ahead of the batch holds it in the write order while the caller reuses its buffer.
    const earlier = db.add(v(9, 9), { id: 'earlier' });
    const batch = db.addBatch(buffer, { ids: ['a', 'b'] });
    buffer.set([5, 6, 7, 8]);
    const refused = await batch.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(FeatherError);
    expect(refused).toMatchObject({ code: 'FEATHER_ERR_INVALID_ARGUMENT', details: { path: 'vectors[0]' } });
    expect((refused as Error).message).toMatch(/await it before changing or reusing them, or pass a copy. Nothing of the batch was stored/);
    await earlier;
    expect(db.count()).toBe(1);
    expect(db.get('a')).toBeUndefined();
    // The same rows, passed as a copy, go in.
    await db.addBatch(buffer.slice(), { ids: ['a', 'b'] });
    expect(Array.from(db.getVector('b')!)).toEqual([7, 8]);
    expect((await db.checkIntegrity()).problems).toEqual([]);
    await db.close();
  });

  it('cuts a batch of large memories into writes below the 64 MiB cap of one write', async () => {
    const db = await Feather.open(tempStorePath(), { dim: 2, metric: 'l2', threads: 1 });
    // 64 attributes of 4,096 characters: ~800 KB a memory, far below the 64 MiB cap; text at its limit too.
    const big = {
      text: 'x'.repeat(100_000),
      attributes: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'y'.repeat(4096)])),
    };
    const { ids } = await db.addBatch(
      Array.from({ length: 100 }, (_, i) => v(i, 1)),
      { metas: Array.from({ length: 100 }, () => big) },
    );
    // 100 memories of ~1.1 MB each (bound) cannot go in one 64 MiB write: the batch was cut into several.
    expect(ids.length).toBe(100);
    expect(db.count()).toBe(100);
    await db.close();
  });
});

describe('addBatch naming an id twice', () => {
  it('keeps the later row, with one node, with or without metas, and the same after a replay of its WAL', async () => {
    const path = tempStorePath();
    const db = await Feather.open(path, { dim: 2, metric: 'l2', threads: 1 });
    await db.add(v(5, 5), { id: 'a' });
    // Without metas (one UpsertRows op) and with them (items): an existing id and a new one, each twice.
    await db.addBatch([v(1, 0), v(0, 1), v(3, 0), v(0, 3)], { ids: ['a', 'b', 'a', 'b'], namespace: 'n' });
    await db.addBatch([v(7, 0), v(0, 7)], { ids: ['c', 'c'], metas: [{ text: 'first' }, { text: 'second' }] });
    const check = async (store: Feather): Promise<void> => {
      expect(store.count()).toBe(3);
      expect(store.stats().modalities['text'].nodes - store.stats().modalities['text'].tombstones).toBe(3);
      expect(await store.checkIntegrity()).toEqual({ ok: true, problems: [] });
      const near = async (x: number, y: number): Promise<unknown> =>
        (await store.search(v(x, y), { k: 5, track: false })).map((h) => [h.id, h.similarity === 1]);
      // Each memory once, at its later vector only.
      expect(await near(3, 0)).toEqual(expect.arrayContaining([['a', true]]));
      expect(await near(0, 3)).toEqual(expect.arrayContaining([['b', true]]));
      expect(await near(0, 7)).toEqual(expect.arrayContaining([['c', true]]));
      for (const [x, y] of [
        [1, 0],
        [0, 1],
        [7, 0],
        [5, 5],
      ]) {
        const hits = (await store.search(v(x, y), { k: 5, track: false })).map((h) => h.id);
        expect(new Set(hits).size).toBe(hits.length);
        expect(hits.length).toBe(3);
      }
      expect(store.get('a')).toMatchObject({ namespace: 'n' });
      expect(store.get('c')).toMatchObject({ text: 'second' });
    };
    await check(db);
    // Closed without a save: the reopen replays the WAL.
    const copy = tempStorePath();
    copyFileSync(path, copy);
    copyFileSync(`${path}.wal`, `${copy}.wal`);
    await db.close();
    const replayed = await Feather.open(copy, { threads: 1 });
    await check(replayed);
    await replayed.close();
  });
});

describe('forget of many ids', () => {
  it('checks every id before forgetting any, then forgets them a slice per event-loop turn', async () => {
    const db = await Feather.open(tempStorePath(), { dim: 2, metric: 'l2', threads: 1 });
    const n = 3000;
    await db.addBatch(
      Array.from({ length: n }, (_, i) => v(i + 1, 1)),
      { ids: Array.from({ length: n }, (_, i) => i) },
    );
    const some = Array.from({ length: 2500 }, (_, i) => i);
    // One unknown id at the end: nothing is forgotten.
    expect(await codeOf(db.forget([...some, 'nobody']))).toBe('FEATHER_ERR_NOT_FOUND');
    expect(db.count()).toBe(n);
    // Another task reading the count once per event-loop iteration sees the forget's slices land one by one.
    const seen = new Set<number>();
    let reading = true;
    const read = (): void => {
      seen.add(db.count());
      if (reading) setImmediate(read);
    };
    setImmediate(read);
    // Duplicates are one memory each.
    const forgotten = await db.forget([...some, 0, 1, 2]);
    reading = false;
    expect(forgotten).toBe(2500);
    // 256 ids an op (write-pipeline.ts): every whole slice's count, from the most forgotten to the fewest.
    const slices = Array.from({ length: 9 }, (_, i) => n - 256 * (9 - i));
    expect([...seen].filter((c) => c < n && c > n - 2500).sort((a, b) => a - b)).toEqual(slices);
    expect(db.count()).toBe(n - 2500);
    expect(db.get(2499)).toBeUndefined();
    expect(db.get(2500)).toBeDefined();
    expect((await db.search(v(1, 1), { k: 3 })).every((h) => (h.id as number) >= 2500)).toBe(true);
    expect((await db.checkIntegrity()).problems).toEqual([]);
    await db.close();
  });
});

describe('close', () => {
  it('settles every search in flight: answered, or rejected FEATHER_ERR_CLOSED', async () => {
    const db = await Feather.open(tempStorePath(), { dim: 8, metric: 'l2', threads: 2 });
    await db.addBatch(Array.from({ length: 2000 }, (_, i) => Array.from({ length: 8 }, (_, j) => Math.sin(i * 8 + j))));
    const searches = Array.from({ length: 200 }, (_, i) =>
      db
        .search(
          Array.from({ length: 8 }, (_, j) => Math.cos(i + j)),
          { k: 5 },
        )
        .then(
          () => 'answered',
          (error: unknown) => (error as FeatherError).code,
        ),
    );
    await db.close();
    const outcomes = await Promise.all(searches);
    expect(outcomes.filter((o) => o !== 'answered' && o !== 'FEATHER_ERR_CLOSED')).toEqual([]);
    expect(await codeOf(db.search(Array.from({ length: 8 }, () => 1)))).toBe('FEATHER_ERR_CLOSED');
  });
});
