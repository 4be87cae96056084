// Worker death is an event, not a hang: the writer and a pool thread are made to die (process.exit, an
// uncaught throw, a wasm trap) at open, mid-write, mid-addBatch, mid-search and during close, through the
// internal fault hook (packages/feather-db/src/shared/internal-faults.ts). Every promise settles with a typed error,
// the lock is released, and a reopen holds every acknowledged write.
import { existsSync } from 'node:fs';
import { clusteredVectors, row, tempStorePath } from '@feather-db/testkit';
import { Feather, FeatherError } from 'feather-db';
import { describe, expect, it } from 'vitest';

const kDim = 8;
const data = clusteredVectors({ n: 1200, dim: kDim, seed: 12 });
/** A hang detector, not a timing assertion: a call that has not settled by then never will. */
const kHangMs = 30_000;

type Outcome = { ok: true; value: unknown } | { ok: false; code: string };

async function settle(p: Promise<unknown>): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the call never settled')), kHangMs)));
  try {
    return { ok: true, value: await Promise.race([p, hang]) };
  } catch (error) {
    if (!(error instanceof FeatherError)) throw error;
    return { ok: false, code: error.code };
  } finally {
    clearTimeout(timer);
  }
}

/** Opens with a fault plan in the internal hook's environment variable (read once, at the open). */
function openWithFaults(path: string, plan: object, options: object = {}): Promise<Feather> {
  process.env['FEATHER_INTERNAL_FAULTS'] = JSON.stringify(plan);
  try {
    return Feather.open(path, { dim: kDim, metric: 'l2', threads: 2, ...options });
  } finally {
    delete process.env['FEATHER_INTERNAL_FAULTS'];
  }
}

/** A store holding rows 0..199 (saved, so an open loads a persisted graph) and 200..209 in the WAL. */
async function seeded(): Promise<{ path: string; acked: Set<number> }> {
  const path = tempStorePath();
  const db = await Feather.open(path, { dim: kDim, metric: 'l2', threads: 1 });
  await db.addBatch(data.subarray(0, 200 * kDim));
  await db.save();
  for (let i = 200; i < 210; i++) await db.add(row(data, kDim, i));
  await db.close();
  return { path, acked: new Set(Array.from({ length: 210 }, (_, i) => i)) };
}

/** After the fault: the lock is gone and a clean reopen holds every acknowledged write with its vector. */
async function expectIntact(path: string, acked: Set<number>): Promise<void> {
  expect(existsSync(`${path}.lock`)).toBe(false);
  const db = await Feather.open(path, { threads: 1 });
  for (const id of acked) expect(Array.from(db.getVector(id)!)).toEqual(Array.from(row(data, kDim, id)));
  expect((await db.checkIntegrity()).problems).toEqual([]);
  await db.close();
}

const kHows = ['exit', 'throw', 'trap'] as const;

describe('a writer that dies', () => {
  for (const at of ['prepare', 'open'] as const) {
    it.each(kHows)(`at ${at} (%s): open rejects typed and leaves no lock`, async (how) => {
      const { path, acked } = await seeded();
      const opened = await settle(openWithFaults(path, { writer: { at, how } }));
      expect(opened).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
      await expectIntact(path, acked);
    });
  }

  it.each(kHows)('at boot of a new store (%s): open rejects typed', async (how) => {
    const path = tempStorePath();
    expect(await settle(openWithFaults(path, { writer: { at: 'boot', how } }))).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it.each(kHows)('mid-write (%s), holding the index locks: pending and later calls reject typed, searches go on', async (how) => {
    const { path, acked } = await seeded();
    // writeMany #1 and #2 succeed; #3 dies after taking node 0's seqlock and the global lock.
    const db = await openWithFaults(path, { writer: { at: 'writeMany', nth: 3, how, holdLock: true } });
    for (const i of [300, 301]) {
      const { id } = await db.add(row(data, kDim, i), { id: i });
      acked.add(id as number);
    }
    const pending = [db.add(row(data, kDim, 302), { id: 302 }), db.addBatch(data.subarray(0, 4 * kDim)), db.update(300, { text: 'x' })];
    const outcomes = await Promise.all(pending.map(settle));
    for (const o of outcomes) expect(o).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    expect(await settle(db.add(row(data, kDim, 303)))).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    // The pool still searches the shared memory; the locks the writer died holding were released.
    const hits = await settle(db.search(row(data, kDim, 5), { k: 3 }));
    expect(hits.ok).toBe(true);
    expect((hits as { value: { id: number }[] }).value[0].id).toBe(5);
    expect(await settle(db.close())).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    await expectIntact(path, acked);
  });

  it.each(kHows)('mid-addBatch of many slices (%s): slices waiting for the writer to take them reject typed', async (how) => {
    const { path, acked } = await seeded();
    // 16 slices of 1,024 rows: more than the writer's queue admits at once (WriteQueue.room), so later slices
    // wait to be prepared while writeMany #3 dies; their wait must end with the fault, not hang.
    const many = clusteredVectors({ n: 16 * 1024, dim: kDim, seed: 13 });
    const db = await openWithFaults(path, { writer: { at: 'writeMany', nth: 3, how } });
    expect(await settle(db.addBatch(many))).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    expect(await settle(db.add(row(data, kDim, 303)))).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    expect(await settle(db.close())).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    await expectIntact(path, acked);
  });

  /** The seeded store opened with a writer that dies at `at`, after one more acknowledged add (`id`). */
  async function writerDyingAt(at: 'save' | 'close', how: (typeof kHows)[number], id: number) {
    const { path, acked } = await seeded();
    const db = await openWithFaults(path, { writer: { at, how } });
    await db.add(row(data, kDim, id), { id });
    acked.add(id);
    return { db, path, acked };
  }

  it.each(kHows)('during save (%s): save and close settle typed, nothing acknowledged is lost', async (how) => {
    const { db, path, acked } = await writerDyingAt('save', how, 400);
    expect(await settle(db.save())).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    expect(await settle(db.close())).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    await expectIntact(path, acked);
  });

  it.each(kHows)('during close (%s): close settles typed and releases the lock', async (how) => {
    const { db, path, acked } = await writerDyingAt('close', how, 500);
    expect(await settle(db.close())).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    await expectIntact(path, acked);
  });
});

describe('a pool thread that dies', () => {
  it.each(kHows)('mid-search (%s): the search is retried on the replacement thread', async (how) => {
    const { path, acked } = await seeded();
    const db = await openWithFaults(path, { pool: { at: 'search', how } });
    const hits = await settle(db.search(row(data, kDim, 7), { k: 1 }));
    expect(hits.ok).toBe(true);
    expect((hits as { value: { id: number }[] }).value[0].id).toBe(7);
    await db.add(row(data, kDim, 600), { id: 600 });
    acked.add(600);
    expect(await settle(db.close())).toEqual({ ok: true, value: undefined });
    await expectIntact(path, acked);
  });

  it.each(kHows)('mid-addBatch (%s), holding the index locks: the batch and later writes reject typed, searches go on', async (how) => {
    const { path, acked } = await seeded();
    const db = await openWithFaults(path, { pool: { at: 'insert', nth: 2, how, holdLock: true } });
    const batch = await settle(db.addBatch(data.subarray(300 * kDim, 1100 * kDim)));
    expect(batch).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    expect(await settle(db.add(row(data, kDim, 5)))).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    const hits = await settle(db.search(row(data, kDim, 9), { k: 1 }));
    expect(hits.ok).toBe(true);
    expect((hits as { value: { id: number }[] }).value[0].id).toBe(9);
    // The writer is alive: close flushes the WAL and succeeds.
    expect(await settle(db.close())).toEqual({ ok: true, value: undefined });
    await expectIntact(path, acked);
  });

  it.each(kHows)(
    'at boot of every thread (%s): nothing waits for a thread, and once the pool is known dead searches reject typed',
    async (how) => {
      const { path, acked } = await seeded();
      const db = await openWithFaults(path, { pool: { at: 'boot', how } });
      const exited = { ok: false, code: 'FEATHER_ERR_WORKER_EXITED' };
      // A batch is linked on the pool: it rejects typed instead of waiting for a thread.
      expect(await settle(db.addBatch(data.subarray(300 * kDim, 1100 * kDim)))).toEqual(exited);
      // Until the pool is known dead (within a few turns), a small search may still run on this thread, with the
      // right answer; from then on every search rejects typed. The bound on tries only ends a hang.
      let search = await settle(db.search(row(data, kDim, 7), { k: 1 }));
      for (let tries = 0; search.ok && tries < 1_000; tries++) {
        expect((search.value as { id: number }[])[0].id).toBe(7);
        await new Promise((resolve) => setTimeout(resolve, 10));
        search = await settle(db.search(row(data, kDim, 7), { k: 1 }));
      }
      expect(search).toEqual(exited);
      expect(await settle(db.search(row(data, kDim, 8), { k: 1 }))).toEqual(exited);
      // The store has failed: writes reject typed too.
      expect(await settle(db.add(row(data, kDim, 700), { id: 700 }))).toEqual(exited);
      expect((await settle(db.close())).ok).toBe(true);
      await expectIntact(path, acked);
    },
  );
});

describe('the internal fault hook', () => {
  it('refuses a malformed plan typed, leaving no lock', async () => {
    const path = tempStorePath();
    process.env['FEATHER_INTERNAL_FAULTS'] = '{not json';
    try {
      expect(await settle(Feather.open(path, { dim: kDim }))).toEqual({ ok: false, code: 'FEATHER_ERR_INVALID_ARGUMENT' });
    } finally {
      delete process.env['FEATHER_INTERNAL_FAULTS'];
    }
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

// Reuse is a write path of its own (docs/adr/0008): the repair a write runs first, on the pool and in the writer.
describe('a thread that dies during a tombstone repair', () => {
  /** The seeded store with rows 0..99 forgotten: the next add repairs first (tombstones pass 10%). */
  async function forgetHalf(db: Feather, acked: Set<number>): Promise<number[]> {
    const gone = Array.from({ length: 100 }, (_, i) => i);
    await db.forget(gone);
    for (const id of gone) acked.delete(id);
    return gone;
  }

  it.each(kHows)('on the pool (%s), holding the index locks: the add and later writes reject typed, searches go on', async (how) => {
    const { path, acked } = await seeded();
    const db = await openWithFaults(path, { pool: { at: 'repair', how, holdLock: true } });
    const gone = await forgetHalf(db, acked);
    expect(await settle(db.add(row(data, kDim, 800), { id: 800 }))).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    expect(await settle(db.add(row(data, kDim, 801)))).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    const hits = await settle(db.search(row(data, kDim, 150), { k: 1 }));
    expect((hits as { value: { id: number }[] }).value[0].id).toBe(150);
    expect(await settle(db.close())).toEqual({ ok: true, value: undefined });
    await expectIntact(path, acked);
    const again = await Feather.open(path, { threads: 1 });
    for (const id of gone) expect(again.get(id)).toBeUndefined();
    await again.close();
  });

  it.each(kHows)('in the writer (%s): the add, later writes and close reject typed, nothing acknowledged is lost', async (how) => {
    const { path, acked } = await seeded();
    const db = await openWithFaults(path, { writer: { at: 'beginRepair', how } });
    await forgetHalf(db, acked);
    expect(await settle(db.add(row(data, kDim, 900), { id: 900 }))).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    expect(await settle(db.add(row(data, kDim, 901)))).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    expect(await settle(db.close())).toEqual({ ok: false, code: 'FEATHER_ERR_WORKER_EXITED' });
    await expectIntact(path, acked);
  });
});
