import { Feather, FeatherError, type MemoryRecord } from 'feather-db';
import { tempStorePath } from '@feather-db/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const open: Feather[] = [];
afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
});

async function store(path = tempStorePath('memory.feather')): Promise<Feather> {
  const db = await Feather.open(path, { dim: 4, threads: 1 });
  open.push(db);
  return db;
}

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FeatherError);
    return { code: (error as FeatherError).code, message: (error as FeatherError).message };
  }
  throw new Error('expected a FeatherError');
}

const unit = (i: number): number[] => Array.from({ length: 4 }, (_, j) => (j === i % 4 ? 1 : 0.01 * (j + 1)));
const kDay = 86_400_000;
const kT0 = Date.UTC(2025, 0, 1);

/** Every page of a listing, following `next` until it is null. */
function allPages(db: Feather, options: Parameters<Feather['list']>[0], limit: number): MemoryRecord[][] {
  const pages: MemoryRecord[][] = [];
  let before: string | undefined;
  for (;;) {
    const page = db.list({ ...options, limit, ...(before === undefined ? {} : { before }) });
    pages.push(page.memories);
    if (page.next === null) return pages;
    before = page.next;
  }
}

describe('db.list', () => {
  it('pages a namespace newest first by timestamp, ties by insertion, with no memory twice or missed', async () => {
    const db = await store();
    // 23 memories in u1 over 10 distinct days (so timestamps tie), 5 in u2; inserted out of time order.
    const days = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6];
    for (const [i, d] of days.entries())
      await db.add(unit(i), {
        id: `u1-${i}`,
        namespace: 'u1',
        timestamp: kT0 + d * kDay,
        entity: i % 2 === 0 ? 'even' : 'odd',
        attributes: { mod3: i % 3 },
      });
    for (let i = 0; i < 5; i++) await db.add(unit(i), { id: `u2-${i}`, namespace: 'u2', timestamp: kT0 + 100 * kDay });
    const expected = days
      .map((d, i) => ({ id: `u1-${i}`, t: kT0 + d * kDay, i }))
      .sort((a, b) => b.t - a.t || b.i - a.i)
      .map((m) => m.id);
    const pages = allPages(db, { namespace: 'u1' }, 5);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat().map((m) => m.id)).toEqual(expected);
    expect(pages[0][0]).toEqual(db.get(expected[0]));
    // A limit equal to the count: one full page and no cursor.
    expect(db.list({ namespace: 'u1', limit: 23 }).next).toBeNull();
    expect(db.list({ namespace: 'u1', limit: 22 }).next).not.toBeNull();
    // Default: every namespace, limit 100.
    expect(
      db
        .list()
        .memories.map((m) => m.id)
        .slice(0, 5),
    ).toEqual(['u2-4', 'u2-3', 'u2-2', 'u2-1', 'u2-0']);
    expect(db.list().memories).toHaveLength(28);
  });

  it('scopes by entity and filter, and starts before a time', async () => {
    const db = await store();
    for (let i = 0; i < 12; i++)
      await db.add(unit(i), {
        id: i,
        namespace: 'n',
        entity: i % 2 === 0 ? 'even' : 'odd',
        attributes: { mod3: i % 3 },
        timestamp: kT0 + i * kDay,
      });
    await db.add(unit(0), { id: 'other', namespace: 'm', entity: 'even', attributes: { mod3: 0 }, timestamp: kT0 });
    const ids = (o: Parameters<Feather['list']>[0]): unknown[] => db.list(o).memories.map((m) => m.id);
    expect(ids({ namespace: 'n', entity: 'even' })).toEqual([10, 8, 6, 4, 2, 0]);
    expect(ids({ namespace: 'n', filter: { mod3: 0 } })).toEqual([9, 6, 3, 0]);
    expect(ids({ namespace: 'n', entity: 'even', filter: { mod3: 0 } })).toEqual([6, 0]);
    expect(ids({ entity: 'even', filter: { mod3: 0 } })).toEqual([6, 'other', 0]); // same timestamp: added later, listed first
    expect(ids({ namespace: 'n', before: kT0 + 3 * kDay })).toEqual([2, 1, 0]);
    expect(ids({ namespace: 'n', before: new Date(kT0 + 1 * kDay) })).toEqual([0]);
    expect(ids({ namespace: 'nobody' })).toEqual([]);
    expect(ids({ namespace: 'n', entity: 'nobody' })).toEqual([]);
    expect(ids({ namespace: 'n', filter: { mod3: 7 } })).toEqual([]);
    // A forgotten memory leaves the listing.
    await db.forget(10);
    expect(ids({ namespace: 'n', entity: 'even', limit: 2 })).toEqual([8, 6]);
  });

  it('rejects bad options with FEATHER_ERR_INVALID_ARGUMENT naming them', async () => {
    const db = await store();
    expect(errorOf(() => db.list({ before: 'page-2' }))).toMatchInlineSnapshot(`
      {
        "code": "FEATHER_ERR_INVALID_ARGUMENT",
        "message": "options.before must be the next cursor of a previous list page (like "c1.1700000000000.42") or a time, got "page-2"",
      }
    `);
    expect(errorOf(() => db.list({ limit: 0 })).message).toBe('options.limit must be an integer in [1, 10000], got 0');
    expect(errorOf(() => db.list({ namespace: '*' })).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(errorOf(() => db.list({ sort: 'asc' } as never)).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
  });
});

describe('db.unlink', () => {
  it('removes the edges of one type or of every type, and says how many', async () => {
    const path = tempStorePath('memory.feather');
    const db = await store(path);
    for (const id of ['a', 'b', 'c']) await db.add(unit(id.charCodeAt(0)), { id });
    await db.link('a', 'b', { type: 'caused_by', weight: 0.5 });
    await db.link('a', 'b', { type: 'mentions' });
    await db.link('a', 'c');
    await db.link('b', 'a', { type: 'caused_by' });
    expect(await db.unlink('a', 'b', { type: 'caused_by' })).toBe(1);
    expect(db.edges('a').outgoing).toEqual([
      { from: 'a', to: 'b', type: 'mentions', weight: 1 },
      { from: 'a', to: 'c', type: 'related_to', weight: 1 },
    ]);
    expect(db.edges('b').incoming).toEqual([{ from: 'a', to: 'b', type: 'mentions', weight: 1 }]);
    // The reverse edge is another edge: untouched.
    expect(db.edges('b').outgoing).toEqual([{ from: 'b', to: 'a', type: 'caused_by', weight: 1 }]);
    expect(await db.unlink('a', 'b', { type: 'caused_by' })).toBe(0);
    expect(await db.unlink('a', 'c')).toBe(1);
    await db.link('a', 'b', { type: 'x' });
    expect(await db.unlink('a', 'b')).toBe(2);
    expect(db.edges('a').outgoing).toEqual([]);
    expect((await db.checkIntegrity()).ok).toBe(true);
    // Replayed from the WAL on reopen.
    await db.close();
    const again = await store(path);
    expect(again.edges('a')).toEqual({ outgoing: [], incoming: [{ from: 'b', to: 'a', type: 'caused_by', weight: 1 }] });
  });

  it('an unknown id fails with FEATHER_ERR_NOT_FOUND and removes nothing', async () => {
    const db = await store();
    await db.add(unit(0), { id: 'a' });
    await db.add(unit(1), { id: 'b' });
    await db.link('a', 'b');
    await expect(db.unlink('a', 'zzz')).rejects.toMatchObject({ code: 'FEATHER_ERR_NOT_FOUND' });
    await expect(db.unlink(1, 'b')).rejects.toMatchObject({ code: 'FEATHER_ERR_NOT_FOUND' });
    await expect(db.unlink('a', 'b', { type: '' })).rejects.toMatchObject({ code: 'FEATHER_ERR_INVALID_ARGUMENT' });
    expect(db.edges('a').outgoing).toHaveLength(1);
    expect((await db.checkIntegrity()).ok).toBe(true);
  });
});
