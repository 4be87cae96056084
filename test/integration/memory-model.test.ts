import { Feather, FeatherError, type MemoryRecord } from 'feather-db';
import { clusteredVectors, row, tempStorePath } from '@feather-db/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const open: Feather[] = [];
afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
});

async function store(dim: number, extra: Parameters<typeof Feather.open>[1] extends infer O ? Partial<O> : never = {}): Promise<Feather> {
  const db = await Feather.open(tempStorePath('memory.feather'), { dim, threads: 2, ...extra });
  open.push(db);
  return db;
}

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    expect(error).toBeInstanceOf(FeatherError);
    return { code: (error as FeatherError).code, message: (error as FeatherError).message };
  }
  throw new Error('expected a FeatherError');
}

const unit = (i: number, dim = 4): number[] => Array.from({ length: dim }, (_, j) => (j === i % dim ? 1 : 0.01 * (j + 1)));

describe('records', () => {
  it('are counted in stats: once per copy in records.bytes, twice in memoryBytes but the strings loaded, following the live records', async () => {
    const path = tempStorePath('record-bytes.feather');
    const db = await Feather.open(path, { dim: 4, threads: 2 });
    const n = 2_000;
    const id = (i: number): string => `memory-${String(i).padStart(13, '0')}`;
    const text = (i: number, v: string): string => `${v} ${i} ${'é'.repeat(40)}`;
    const vectors = Array.from({ length: n }, (_, i) => unit(i));
    await db.addBatch(vectors, {
      ids: Array.from({ length: n }, (_, i) => id(i)),
      metas: Array.from({ length: n }, (_, i) => ({ text: text(i, 'first') })),
    });
    const utf8 = (s: string): number => Buffer.byteLength(s);
    const stringBytes = (v: string, rows: number[]): number => rows.reduce((sum, i) => sum + utf8(id(i)) + utf8(text(i, v)), 0);
    const all = Array.from({ length: n }, (_, i) => i);
    let s = db.stats();
    expect(s.records.bytes).toBeGreaterThanOrEqual(n * 57 + stringBytes('first', all));
    expect(s.records.sharedBytes).toBe(0);
    expect(s.memoryBytes).toBe(s.shared.usedBytes + 2 * s.records.bytes);
    // Replaced texts read back; the bytes they replaced are dropped when the strings are rewritten.
    for (let i = 0; i < n; i += 2) await db.update(id(i), { text: text(i, 'second') });
    expect(db.get(id(10))?.text).toBe(text(10, 'second'));
    expect(db.get(id(11))?.text).toBe(text(11, 'first'));
    const kept = all.filter((i) => i % 4 !== 0);
    await db.forget(all.filter((i) => i % 4 === 0).map(id));
    await db.save();
    const before = db.stats().records.bytes;
    await db.close();
    const again = await Feather.open(path, { threads: 2 });
    open.push(again);
    s = again.stats();
    // The file holds the live rows only: fewer bytes than before the save, and at least their strings.
    expect(s.records.bytes).toBeLessThan(before);
    const liveStrings = kept.reduce((sum, i) => sum + utf8(id(i)) + utf8(text(i, i % 2 === 0 ? 'second' : 'first')), 0);
    expect(s.records.bytes).toBeGreaterThanOrEqual(kept.length * 57 + liveStrings);
    // The loaded ids and texts are one buffer both threads read: counted once.
    expect(s.records.sharedBytes).toBe(liveStrings);
    expect(s.memoryBytes).toBe(s.shared.usedBytes + 2 * s.records.bytes - liveStrings);
    for (const i of [1, 2, 3, 5, 6]) expect(again.get(id(i))?.text).toBe(text(i, i % 2 === 0 ? 'second' : 'first'));
    expect(again.get(id(4))).toBeUndefined();
  });

  it('keep every field, round-trip id types and assign integer ids after the largest one', async () => {
    const db = await store(4);
    const before = Date.now();
    const given = {
      id: 'note-1',
      text: 'hello',
      namespace: 'u1',
      entity: 'travel',
      importance: 2,
      attributes: { lang: 'en', stars: 4, done: false },
    };
    expect(await db.add(unit(0), given)).toEqual({ id: 'note-1' });
    expect(await db.add(unit(1), { id: 7 })).toEqual({ id: 7 });
    expect(await db.add(unit(2))).toEqual({ id: 8 });
    expect(await db.add(unit(3), { id: '8' })).toEqual({ id: '8' });
    const rec = db.get('note-1')!;
    expect(rec).toMatchObject({
      ...given,
      recallCount: 0,
      lastRecalled: null,
      modalities: ['text'],
    });
    expect(rec.timestamp).toBeGreaterThanOrEqual(before);
    expect(db.get(8)!.namespace).toBe('default');
    expect(db.get('7')).toBeUndefined();
    expect(db.get(8)).not.toEqual(db.get('8'));
    expect(db.getLast()!.id).toBe('8');
    expect(db.getLast({ namespace: 'u1' })!.id).toBe('note-1');
    expect(db.count()).toBe(4);
    expect(db.count({ namespace: 'u1' })).toBe(1);
    expect(db.listNamespaces()).toEqual(['default', 'u1']);
    const when = new Date('2026-01-02T03:04:05Z');
    await db.add(unit(0), { id: 'dated', timestamp: when });
    expect(db.get('dated')!.timestamp).toBe(when.getTime());
  });

  it('upsert replaces the vector and the given fields, keeping the rest', async () => {
    const db = await store(4);
    await db.add(unit(0), { id: 'a', text: 'first', namespace: 'n1', attributes: { k: 1 } });
    await db.add(unit(2), { id: 'a', text: 'second' });
    expect(db.count()).toBe(1);
    expect(db.get('a')).toMatchObject({ text: 'second', namespace: 'n1', attributes: { k: 1 } });
    const [hit] = await db.search(unit(2), { k: 1 });
    expect(hit).toMatchObject({ id: 'a', text: 'second' });
    expect(hit.similarity).toBeCloseTo(1, 5);
    // Moving namespaces moves the memory out of the old one's searches.
    await db.add(unit(2), { id: 'a', namespace: 'n2' });
    expect(await db.search(unit(2), { namespace: 'n1' })).toEqual([]);
    expect((await db.search(unit(2), { namespace: 'n2' })).map((h) => h.id)).toEqual(['a']);
    expect(db.listNamespaces()).toEqual(['n2']);
  });

  it('update changes text, entity, importance and attributes, and entity scoping follows', async () => {
    const db = await store(4);
    await db.add(unit(0), { id: 1, namespace: 'n', entity: 'e1', attributes: { a: 'x' } });
    const updated = await db.update(1, { text: 't', entity: 'e2', importance: 0.5, attributes: { b: true } });
    expect(updated).toMatchObject({ id: 1, text: 't', entity: 'e2', importance: 0.5, attributes: { b: true } });
    expect(await db.search(unit(0), { namespace: 'n', entity: 'e1' })).toEqual([]);
    expect((await db.search(unit(0), { namespace: 'n', entity: 'e2' })).length).toBe(1);
    expect(await db.search(unit(0), { filter: { a: 'x' } })).toEqual([]);
    expect((await db.search(unit(0), { filter: { b: true } })).length).toBe(1);
    await db.update(1, { entity: null });
    expect(db.get(1)!.entity).toBeNull();
  });
});

describe('search', () => {
  it('never crosses a namespace or entity and scores match the decay formula', async () => {
    const dim = 16;
    const db = await store(dim);
    const data = clusteredVectors({ n: 3000, dim, seed: 3 });
    const day = 86_400_000;
    // A fixed clock: the ranking must not depend on when the test runs.
    const now = Date.UTC(2026, 5, 1);
    await db.addBatch(data, {
      metas: Array.from({ length: 3000 }, (_, i) => ({
        namespace: `t${i % 30}`,
        entity: `e${Math.floor(i / 30) % 4}`,
        importance: 1 + (i % 3),
        timestamp: now - (i % 50) * day,
      })),
    });
    for (let q = 0; q < 20; q++) {
      const ns = `t${q % 30}`;
      const hits = await db.search(row(data, dim, q * 7), {
        k: 10,
        namespace: ns,
        entity: 'e1',
        halfLife: 10,
        timeWeight: 0.4,
        track: false,
        now,
      });
      expect(hits.length).toBe(10);
      for (let i = 0; i < hits.length; i++) {
        const h = hits[i];
        expect(h).toMatchObject({ namespace: ns, entity: 'e1' });
        const recency = 0.5 ** (Math.max(0, now - h.timestamp) / day / (1 + Math.log1p(h.recallCount)) / 10);
        expect(h.score).toBeCloseTo((0.6 * h.similarity + 0.4 * recency) * h.importance, 3);
        if (i > 0) expect(h.score).toBeLessThanOrEqual(hits[i - 1].score);
      }
    }
    expect(await db.search(row(data, dim, 0), { namespace: 'nobody' })).toEqual([]);
    expect(await db.search(row(data, dim, 0), { namespace: 't1', entity: 'nobody' })).toEqual([]);
  });

  it('bumps recall counts of returned hits only, unless track is false', async () => {
    const db = await store(4);
    for (let i = 0; i < 4; i++) await db.add(unit(i), { id: i });
    await db.search(unit(1), { k: 1, track: false });
    expect(db.get(1)!.recallCount).toBe(0);
    const at = new Date('2026-03-04T05:06:07Z');
    const [hit] = await db.search(unit(1), { k: 1, now: at });
    expect(hit.recallCount).toBe(0);
    expect(db.get(1)).toMatchObject({ recallCount: 1, lastRecalled: at.getTime() });
    expect(db.get(2)!.recallCount).toBe(0);
    const [again] = await db.search(unit(1), { k: 1, includeVector: true });
    expect(again.recallCount).toBe(1);
    expect(again.vector).toBeInstanceOf(Float32Array);
  });

  it('k larger than the candidates returns fewer, and an attribute filter returns k when selective', async () => {
    const dim = 8;
    const db = await store(dim);
    const data = clusteredVectors({ n: 2000, dim, seed: 5 });
    await db.addBatch(data, { metas: Array.from({ length: 2000 }, (_, i) => ({ attributes: { bucket: i % 100, even: i % 2 === 0 } })) });
    expect((await db.search(row(data, dim, 0), { k: 50, filter: { bucket: 3 } })).length).toBe(20);
    const hits = await db.search(row(data, dim, 0), { k: 10, filter: { bucket: 3, even: false } });
    expect(hits.length).toBe(10);
    for (const h of hits) expect(h.attributes).toMatchObject({ bucket: 3, even: false });
    expect(await db.search(row(data, dim, 0), { filter: { bucket: '3' } })).toEqual([]);
  });
});

describe('deletes', () => {
  it('forget, purge by age and namespace, and deleteByEntity remove exactly what they name', async () => {
    const db = await store(4);
    const day = 86_400_000;
    const now = Date.UTC(2026, 5, 1);
    await db.add(unit(0), { id: 'old', namespace: 'a', timestamp: now - 40 * day });
    await db.add(unit(1), { id: 'old-but-recalled', namespace: 'a', timestamp: now - 40 * day });
    await db.add(unit(2), { id: 'new', namespace: 'a', timestamp: now - day });
    await db.add(unit(3), { id: 'old-b', namespace: 'b', timestamp: now - 40 * day });
    await db.add(unit(0), { id: 'e', namespace: 'b', entity: 'x', timestamp: now - day });
    await db.add(unit(1), { id: 'e2', namespace: 'c', entity: 'x', timestamp: now - day });
    await db.search(unit(1), { k: 1, namespace: 'a', now: now - 2 * day });
    // Ages are measured to the clock given: 50 days earlier, nothing was 30 days old yet.
    expect(await db.purge({ namespace: 'a', olderThanDays: 30, now: now - 50 * day })).toBe(0);
    expect(await db.purge({ namespace: 'a', olderThanDays: 30, now })).toBe(1);
    expect(db.get('old')).toBeUndefined();
    expect(db.get('old-but-recalled')).toMatchObject({ lastRecalled: now - 2 * day });
    expect(await db.purge({ namespace: '*', olderThanDays: 30, now: new Date(now) })).toBe(1);
    expect(db.get('old-b')).toBeUndefined();
    expect(await db.deleteByEntity({ namespace: 'b', entity: 'x' })).toBe(1);
    expect(db.get('e')).toBeUndefined();
    expect(db.get('e2')).toBeDefined();
    expect(await db.forget(['new', 'e2'])).toBe(2);
    expect(await db.forget([])).toBe(0);
    expect(db.count()).toBe(1);
    expect(await db.purge({ namespace: '*' })).toBe(1);
    expect(db.count()).toBe(0);
    expect(db.listNamespaces()).toEqual([]);
  });

  it('compact({ rebuild: true }) rebuilds without tombstones and keeps every live memory findable while searches run', async () => {
    const dim = 12;
    const db = await store(dim);
    const data = clusteredVectors({ n: 3000, dim, seed: 9 });
    const { ids } = await db.addBatch(data, { metas: Array.from({ length: 3000 }, (_, i) => ({ namespace: `n${i % 3}` })) });
    await db.forget(ids.filter((id) => (id as number) % 3 === 0));
    expect(db.stats().modalities.text.tombstones).toBe(1000);
    let searching = true;
    const background = (async () => {
      let n = 0;
      while (searching) {
        const hits = await db.search(row(data, dim, n % 3000), { k: 5, track: false });
        for (const h of hits) expect((h.id as number) % 3).not.toBe(0);
        n++;
      }
      return n;
    })();
    await db.compact({ rebuild: true });
    searching = false;
    expect(await background).toBeGreaterThan(0);
    expect(db.stats().modalities.text).toMatchObject({ nodes: 2000, tombstones: 0 });
    for (let i = 1; i < 3000; i += 7) {
      if (i % 3 === 0) continue;
      const [hit] = await db.search(row(data, dim, i), { k: 1, ef: 200, namespace: `n${i % 3}`, track: false });
      expect(hit.id).toBe(i);
    }
    await db.add(row(data, dim, 3), { id: 3 });
    expect((await db.search(row(data, dim, 3), { k: 1 }))[0].id).toBe(3);
  });
});

describe('context graph', () => {
  it('links, lists edges both ways, walks hops, and drops edges of forgotten memories', async () => {
    const db = await store(4);
    const importance = { a: 1, b: 1, c: 2, d: 3 };
    for (const [id, i] of [
      ['a', 0],
      ['b', 1],
      ['c', 2],
      ['d', 3],
    ] as const)
      await db.add(unit(i), { id, importance: importance[id] });
    await db.link('a', 'b', { type: 'caused', weight: 0.5 });
    await db.link('c', 'b');
    await db.link('c', 'd', { weight: 2 });
    expect(db.edges('b')).toEqual({
      outgoing: [],
      incoming: [
        { from: 'a', to: 'b', type: 'caused', weight: 0.5 },
        { from: 'c', to: 'b', type: 'related_to', weight: 1 },
      ],
    });
    const chain = await db.contextChain(unit(0), { k: 1, hops: 3, track: false });
    // Sorted by score (then hop): d, three hops out, outranks b and c (0.75 against 0.25 each).
    expect(chain.nodes.map((n) => [n.id, n.hop])).toEqual([
      ['a', 0],
      ['d', 3],
      ['b', 1],
      ['c', 2],
    ]);
    const score = (id: string): number => chain.nodes.find((n) => n.id === id)!.score;
    const seed = chain.nodes[0];
    expect(seed.similarity).toBeCloseTo(seed.score, 6);
    expect(score('b')).toBeCloseTo(seed.score * 0.5 * 0.5, 6);
    expect(score('c')).toBeCloseTo(score('b') * 0.5 * 1 * 2, 6);
    expect(score('d')).toBeCloseTo(score('c') * 0.5 * 2 * 3, 6);
    expect(chain.edges.length).toBe(3);
    await db.forget('b');
    expect(db.edges('a')).toEqual({ outgoing: [], incoming: [] });
    const after = await db.contextChain(unit(0), { k: 1, hops: 3, track: false });
    expect(after.nodes.map((n) => n.id)).toEqual(['a']);
  });
});

describe('modalities and int8', () => {
  it('keeps one vector per modality with its own dim; search and contextChain take a modality', async () => {
    const db = await store(4, { modalities: { image: { dim: 6, metric: 'l2' } } });
    await db.add(unit(0), { id: 'x', text: 'cat' });
    await db.add(unit(1, 6), { id: 'x', modality: 'image' });
    await db.add(unit(2, 6), { id: 'y', modality: 'image' });
    expect(db.get('x')!.modalities).toEqual(['text', 'image']);
    expect(db.get('x')!.text).toBe('cat');
    expect((await db.search(unit(1, 6), { k: 1, modality: 'image' }))[0].id).toBe('x');
    expect((await db.search(unit(0), { k: 5 })).map((h) => h.id)).toEqual(['x']);
    expect(db.getVector('y')).toBeUndefined();
    expect(db.getVector('y', 'image')).toHaveLength(6);
    expect((await db.contextChain(unit(2, 6), { k: 1, modality: 'image' })).nodes[0].id).toBe('y');
    expect((await errorOf(db.add(unit(0), { modality: 'audio' }))).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect((await errorOf(db.add(unit(0), { modality: 'image' }))).code).toBe('FEATHER_ERR_DIMENSION_MISMATCH');
  });

  it('setInt8Ram cuts vector memory and keeps recall', async () => {
    const dim = 64;
    const db = await store(dim);
    const data = clusteredVectors({ n: 3000, dim, seed: 21 });
    await db.addBatch(data);
    const before = db.stats().modalities.text.strideBytes;
    await db.setInt8Ram('text');
    const after = db.stats().modalities.text;
    expect(after.storage).toBe('int8');
    expect(after.strideBytes).toBeLessThan(before * 0.6);
    let found = 0;
    for (let i = 0; i < 3000; i += 30) if ((await db.search(row(data, dim, i), { k: 1, track: false }))[0].id === i) found++;
    expect(found).toBeGreaterThanOrEqual(95);
    const { id } = await db.add(row(data, dim, 5));
    expect((await db.search(row(data, dim, 5), { k: 2, track: false })).map((h) => h.id).sort()).toEqual([5, id].sort());
  });
});

describe('bad input', () => {
  it('gets a typed error naming what was expected, and leaves the store unchanged', async () => {
    const db = await store(4);
    await db.add(unit(0), { id: 'keep', namespace: 'n', attributes: { a: 1 } });
    await db.link('keep', 'keep');
    const snapshot = (): [MemoryRecord | undefined, number, string[]] => [db.get('keep'), db.count(), db.listNamespaces()];
    const before = snapshot();
    const cases: [string, () => unknown][] = [
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { colour: 'red' } as never)],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { namespace: '' })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { namespace: '*' })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { importance: Number.NaN })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { importance: -1 })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { text: 'x'.repeat(100_001) })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { text: 42 as never })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { id: -1 })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { id: 1.5 })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { id: '' })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { attributes: { nested: { x: 1 } } as never })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { attributes: { n: Number.POSITIVE_INFINITY } })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add(unit(1), { timestamp: new Date('nope') })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.add([1, 2, Number.NaN, 4])],
      ['FEATHER_ERR_DIMENSION_MISMATCH', () => db.add([1, 2, 3])],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.addBatch([unit(1), unit(2)], { ids: ['only-one'] })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.addBatch([unit(1), unit(2)], { metas: [{}, { importance: 'high' as never }] })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.search(unit(1), { k: -1 })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.search(unit(1), { filter: [] as never })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.search(unit(1), { timeWeight: 2 })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.search(unit(1), { halfLife: 0 })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.search(unit(1), { namespace: '' })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.search(unit(1), { now: 'yesterday' as never })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.search(unit(1), { now: new Date('nope') })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.contextChain(unit(1), { now: Number.NaN })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.purge({ namespace: 'n', olderThanDays: 1, now: Number.POSITIVE_INFINITY })],
      ['FEATHER_ERR_NOT_FOUND', () => db.update('missing', { text: 'x' })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.update('keep', {})],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.update('keep', { namespace: 'x' } as never)],
      ['FEATHER_ERR_NOT_FOUND', () => db.forget(['keep', 'missing'])],
      ['FEATHER_ERR_NOT_FOUND', () => db.link('keep', 'missing')],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.link('keep', 'keep', { weight: -2 })],
      ['FEATHER_ERR_NOT_FOUND', () => db.edges('missing')],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.purge({} as never)],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.purge({ namespace: 'n', olderThanDays: -3 })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.deleteByEntity({ namespace: 'n' } as never)],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.contextChain(unit(1), { hops: 99 })],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.setInt8Ram('nope')],
      ['FEATHER_ERR_INVALID_ARGUMENT', () => db.count({ namespace: 5 as never })],
    ];
    for (const [code, call] of cases) {
      const error = await errorOf(() => Promise.resolve().then(call));
      expect(error.code, `${call.toString()}: ${error.message}`).toBe(code);
      expect(error.message.length).toBeGreaterThan(20);
    }
    expect(await errorOf(db.add(unit(1), { importance: -1 }))).toMatchInlineSnapshot(`
      {
        "code": "FEATHER_ERR_INVALID_ARGUMENT",
        "message": "options.importance must be a finite number >= 0 (1 is neutral), got -1",
      }
    `);
    expect(await errorOf(db.forget(['keep', 'missing']))).toMatchInlineSnapshot(`
      {
        "code": "FEATHER_ERR_NOT_FOUND",
        "message": "memory "missing" does not exist (never added, or forgotten); check the id and its type (1 and '1' differ)",
      }
    `);
    expect(snapshot()).toEqual(before);
    expect(db.edges('keep').outgoing.length).toBe(1);
    expect((await db.search(unit(0), { k: 1 }))[0].id).toBe('keep');
  });
});

describe('filtered search recall', () => {
  it('is >= 0.95 against exact filtered search at 1%, 10% and 50% selectivity', async () => {
    const { bruteForce, recall } = await import('@feather-db/testkit');
    const dim = 32;
    const n = 20_000;
    const db = await store(dim);
    const data = clusteredVectors({ n, dim, seed: 41 });
    const queries = clusteredVectors({ n: 40, dim, seed: 42 });
    await db.addBatch(data, {
      metas: Array.from({ length: n }, (_, i) => ({ attributes: { p1: i % 100 === 7, p10: i % 10 === 3, p50: i % 2 === 1 } })),
    });
    for (const [key, keep] of [
      ['p1', (i: number) => i % 100 === 7],
      ['p10', (i: number) => i % 10 === 3],
      ['p50', (i: number) => i % 2 === 1],
    ] as const) {
      const skip = new Set(Array.from({ length: n }, (_, i) => i).filter((i) => !keep(i)));
      let total = 0;
      for (let q = 0; q < 40; q++) {
        const query = row(queries, dim, q);
        const hits = await db.search(query, { k: 10, filter: { [key]: true }, track: false });
        expect(hits.length).toBe(10);
        for (const h of hits) expect(keep(h.id as number)).toBe(true);
        total += recall(
          hits.map((h) => h.id as number),
          bruteForce('cosine', data, dim, query, 10, skip),
        );
      }
      expect(total / 40, key).toBeGreaterThanOrEqual(0.95);
    }
  });
});
